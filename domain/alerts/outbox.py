"""The outbox: an incident's Alert and one AlertDelivery per recipient, written in the incident's own transaction.

Use as an ``IncidentService`` after-create hook: ``IncidentService(sessions, after_create=[AlertOutbox(...)])``
(or the plain ``enqueue_alerts`` with defaults). Nothing is sent here; the relay sends after the commit.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.alerts.rules import IncidentFacts, reasons, rules_for_school
from domain.alerts.types import Clock, Waker, utc_now
from domain.models import Alert, Incident

log = logging.getLogger(__name__)

DEFAULT_ESCALATION = timedelta(minutes=5)

# The school's active admins and nurses, except those who turned alerts off in every conversation they have.
_RECIPIENTS = text(
    """
    INSERT INTO alert_deliveries (alert_id, recipient_id, kind, level, status, attempts, next_attempt_at)
    SELECT :alert_id, s.id, 'alert', 0, 'pending', 0, :now
    FROM staff s
    WHERE s.school_id = :school_id AND s.active AND s.role IN ('admin', 'nurse')
      AND NOT (EXISTS (SELECT 1 FROM conversation_references c WHERE c.staff_id = s.id)
               AND NOT EXISTS (SELECT 1 FROM conversation_references c WHERE c.staff_id = s.id AND c.alerts_enabled))
    ORDER BY s.escalation_rank NULLS LAST, s.id
    ON CONFLICT DO NOTHING
    RETURNING id
    """
)


async def enqueue_alerts(
    session: AsyncSession,
    incident: Incident,
    *,
    clock: Clock = utc_now,
    escalate_after: timedelta = DEFAULT_ESCALATION,
    waker: Waker | None = None,
) -> int | None:
    """Write the alert and its deliveries when a rule matches; returns the alert id (None: no rule matched)."""
    why = reasons(IncidentFacts.of(incident), await rules_for_school(session, incident.school_id))
    if not why:
        return None
    now = clock()
    alert_id = (
        await session.execute(
            insert(Alert)
            .values(incident_id=incident.id, school_id=incident.school_id, reason="; ".join(why)[:2000],
                    escalation_level=0, escalate_after=now + escalate_after)
            .on_conflict_do_nothing(index_elements=[Alert.incident_id])
            .returning(Alert.id)
        )
    ).scalar_one_or_none()
    if alert_id is None:  # already alerted (cannot happen for a new incident; kept idempotent anyway)
        return None
    rows = (await session.execute(_RECIPIENTS, {"alert_id": alert_id, "now": now, "school_id": incident.school_id}))
    count = len(rows.all())
    log.info("alert queued", extra={"alert_id": alert_id, "incident_id": incident.id, "deliveries": count})
    if waker is not None:
        _poke_after_commit(session, waker)
    return alert_id


def _poke_after_commit(session: AsyncSession, waker: Waker) -> None:
    """Wake the relays once the rows are visible (a wake-up before the commit would find nothing)."""

    def after_commit(_: Any) -> None:
        waker.poke()

    event.listen(session.sync_session, "after_commit", after_commit, once=True)


class AlertOutbox:
    """The after-create hook with its settings bound."""

    def __init__(self, *, escalate_after: timedelta = DEFAULT_ESCALATION, clock: Clock = utc_now,
                 waker: Waker | None = None) -> None:
        self._escalate_after = escalate_after
        self._clock = clock
        self._waker = waker

    async def __call__(self, session: AsyncSession, incident: Incident) -> None:
        await enqueue_alerts(session, incident, clock=self._clock, escalate_after=self._escalate_after,
                             waker=self._waker)
