"""Alert delivery rows on the shared outbox (``domain/outbox``): claimed ``FOR UPDATE SKIP LOCKED`` in short
transactions with a lease, each outcome fenced on (status, attempts).

States: ``pending`` → ``sending`` (claimed; ``next_attempt_at`` is the lease) → ``sent`` | ``failed`` | ``pending``
(retry later) | ``cancelled``; a sent card whose content changed (acknowledged, a recipient unreachable) goes
``update_pending`` → ``updating`` → ``sent``. What is the alerts' own: a send is recorded after locking the alert
row, so a card rendered before an acknowledgement or a failure committed is flagged for an update; a permanent
failure flags the other recipients' cards for an update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.alerts.types import CARD_KINDS, Sent
from domain.db import unit_of_work
from domain.models import AlertDelivery
from domain.outbox.recipients import store_reference
from domain.outbox.table import OutboxClaim, OutboxTable


@dataclass(frozen=True, slots=True)
class CardState:
    """What changes a sent card: the acknowledgement and the recipients who could not be reached."""

    acknowledged: bool
    failures: int


@dataclass(frozen=True, slots=True)
class Claim(OutboxClaim):
    alert_id: int
    recipient_id: int
    kind: str
    level: int
    sent_activity_id: str | None
    conversation_id: str | None


TABLE = OutboxTable.of(AlertDelivery, Claim, updates=True)


class DeliveryStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[Claim]:
        async with unit_of_work(self._sessions) as session:
            return await TABLE.claim(session, now, lease_until, limit)

    async def mark_sent(self, claim: Claim, sent: Sent, *, rendered: CardState | None, now: datetime) -> bool:
        """Record the send. Locks the alert row FOR SHARE first, so an acknowledgement or a recorded failure
        committing meanwhile either sees this row as sent (and flags it for a card update) or is seen here (and
        the row is flagged now). ``rendered``: what the card showed (None: unknown, update it to be safe)."""
        async with unit_of_work(self._sessions) as session:
            current = await _card_state(session, claim.alert_id)
            stale = claim.kind in CARD_KINDS and rendered != current
            if sent.new_reference is not None:
                await store_reference(session, claim.recipient_id, sent.new_reference)
            return await TABLE.mark(session, claim, {
                "status": "update_pending" if stale else "sent", "sent_activity_id": sent.activity_id[:200],
                "conversation_id": sent.conversation_id[:400], "next_attempt_at": now, "last_error": None})

    async def mark_failed(self, claim: Claim, error: str, now: datetime) -> None:
        """A permanent failure: recorded, and the other recipients' cards are refreshed to show it. (Cancelled,
        updated and retried rows are recorded through the relay's ``Outbox``.)"""
        async with unit_of_work(self._sessions) as session:
            await session.execute(text("SELECT 1 FROM alerts WHERE id = :id FOR NO KEY UPDATE"), {"id": claim.alert_id})
            done = await _finish_in(session, claim, "failed", error)
            if done and claim.kind in CARD_KINDS:
                await session.execute(
                    text(
                        "UPDATE alert_deliveries SET status = 'update_pending', next_attempt_at = :now"
                        " WHERE alert_id = :alert_id AND id <> :id AND kind IN ('alert', 'escalation')"
                        " AND status IN ('sent', 'updating') AND sent_activity_id IS NOT NULL"
                    ),
                    {"now": now, "alert_id": claim.alert_id, "id": claim.id},
                )


async def _finish_in(session: AsyncSession, claim: Claim, status: str, error: str | None,
                     at: datetime | None = None) -> bool:
    values: dict[str, Any] = {"status": status, "last_error": error[:300] if error else None}
    if at is not None:
        values["next_attempt_at"] = at
    return await TABLE.mark(session, claim, values)


async def _card_state(session: AsyncSession, alert_id: int) -> CardState:
    """The alert's card state, read after locking the alert row FOR SHARE.

    Two statements on purpose: under READ COMMITTED a statement that waits for a row lock re-reads only the locked
    row; a subquery in the same statement keeps the snapshot taken before the wait and would miss a failure that
    ``mark_failed`` committed while we waited. The second statement takes a fresh snapshot after the lock is held."""
    await session.execute(text("SELECT 1 FROM alerts WHERE id = :id FOR SHARE"), {"id": alert_id})
    row = (await session.execute(
        text("SELECT a.acknowledged_at IS NOT NULL AS acknowledged,"
             " (SELECT count(*) FROM alert_deliveries d WHERE d.alert_id = a.id AND d.status = 'failed'"
             "  AND d.kind <> 'reporter') AS failures"
             " FROM alerts a WHERE a.id = :id"), {"id": alert_id}
    )).one()
    return CardState(bool(row.acknowledged), int(row.failures))
