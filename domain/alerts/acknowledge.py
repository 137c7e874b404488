"""Acknowledge an alert: the first admin (or nurse) wins atomically; every sent card is then queued for an update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.db import unit_of_work
from domain.errors import NotAllowed, NotFound
from domain.models import Role

_WIN = text(
    "UPDATE alerts SET acknowledged_by = :staff_id, acknowledged_at = :now, escalate_after = NULL"
    " WHERE id = :id AND school_id = :school_id AND acknowledged_at IS NULL RETURNING incident_id"
)
# Cards already sent (or being updated) get the acknowledged version; pending ones will be rendered with it.
_REFRESH = text(
    "UPDATE alert_deliveries SET status = 'update_pending', next_attempt_at = :now"
    " WHERE alert_id = :id AND kind IN ('alert', 'escalation') AND status IN ('sent', 'updating')"
    " AND sent_activity_id IS NOT NULL"
)
_STATE = text(
    "SELECT a.incident_id, a.school_id, a.acknowledged_at, s.display_name FROM alerts a"
    " LEFT JOIN staff s ON s.id = a.acknowledged_by WHERE a.id = :id"
)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    alert_id: int
    won: bool  # False: someone else had acknowledged it first
    by: str
    at: datetime


async def acknowledge(sessions: async_sessionmaker[AsyncSession], actor: Actor, alert_id: int, now: datetime, *,
                      via: str) -> Acknowledgement:
    if actor.role not in (Role.admin, Role.nurse):
        raise NotAllowed("Only your school's administrators and nurse can acknowledge safety alerts.")
    async with unit_of_work(sessions) as session:
        state = (await session.execute(_STATE, {"id": alert_id})).first()
        if state is None or state.school_id != actor.school_id:
            raise NotFound("That alert doesn't exist at your school.")
        incident_id = await session.scalar(
            _WIN, {"staff_id": actor.staff_id, "now": now, "id": alert_id, "school_id": actor.school_id}
        )
        if incident_id is not None:
            await session.execute(_REFRESH, {"id": alert_id, "now": now})
            await audit.record(session, actor, action="alert.acknowledge", subject_type="incident",
                               subject_ids=[incident_id], via=via, allowed=True)
            return Acknowledgement(alert_id, True, actor.display_name, now)
        final = (await session.execute(_STATE, {"id": alert_id})).one()
        return Acknowledgement(alert_id, False, final.display_name or "someone", final.acknowledged_at)
