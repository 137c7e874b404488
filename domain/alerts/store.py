"""Delivery rows: claim due rows (``FOR UPDATE SKIP LOCKED``, in short transactions) and record each outcome.

States: ``pending`` → ``sending`` (claimed; ``next_attempt_at`` is the lease) → ``sent`` | ``failed`` | ``pending``
(retry later) | ``cancelled``; a sent card whose content changed (acknowledged, a recipient unreachable) goes
``update_pending`` → ``updating`` → ``sent``. Every outcome is fenced on (status, attempts): a relay whose lease
expired and whose row was re-claimed by another relay changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.alerts.types import CARD_KINDS, Sent
from domain.db import unit_of_work

_CLAIM = text(
    """
    WITH due AS (
        SELECT id, status FROM alert_deliveries
        WHERE status IN ('pending', 'sending', 'update_pending', 'updating') AND next_attempt_at <= :now
        ORDER BY next_attempt_at, id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE alert_deliveries d
    SET status = CASE WHEN due.status IN ('pending', 'sending') THEN 'sending' ELSE 'updating' END,
        attempts = d.attempts + 1,
        next_attempt_at = :lease_until
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.alert_id, d.recipient_id, d.kind, d.level, d.status, due.status AS previous, d.attempts,
              d.sent_activity_id, d.conversation_id
    """
)


@dataclass(frozen=True, slots=True)
class CardState:
    """What changes a sent card: the acknowledgement and the recipients who could not be reached."""

    acknowledged: bool
    failures: int


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    alert_id: int
    recipient_id: int
    kind: str
    level: int
    status: str  # sending | updating
    previous: str  # the status before this claim: "sending"/"updating" means an earlier attempt never finished
    attempts: int
    sent_activity_id: str | None
    conversation_id: str | None

    @property
    def resumed(self) -> bool:
        return self.previous == self.status


class DeliveryStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[Claim]:
        async with unit_of_work(self._sessions) as session:
            rows = await session.execute(_CLAIM, {"now": now, "lease_until": lease_until, "limit": limit})
            return [Claim(**r._mapping) for r in rows]

    async def mark_sent(self, claim: Claim, sent: Sent, *, rendered: CardState | None, now: datetime) -> bool:
        """Record the send. Locks the alert row FOR SHARE first, so an acknowledgement or a recorded failure
        committing meanwhile either sees this row as sent (and flags it for a card update) or is seen here (and
        the row is flagged now). ``rendered``: what the card showed (None: unknown, update it to be safe)."""
        async with unit_of_work(self._sessions) as session:
            current = await _card_state(session, claim.alert_id)
            stale = claim.kind in CARD_KINDS and rendered != current
            if sent.new_reference is not None:
                await _store_reference(session, claim.recipient_id, sent.new_reference)
            result = await session.execute(
                text(
                    "UPDATE alert_deliveries SET status = :status, sent_activity_id = :activity_id,"
                    " conversation_id = :conversation_id, next_attempt_at = :now, last_error = NULL"
                    " WHERE id = :id AND status = 'sending' AND attempts = :attempts"
                ),
                {"status": "update_pending" if stale else "sent", "activity_id": sent.activity_id[:200],
                 "conversation_id": sent.conversation_id[:400], "now": now, "id": claim.id,
                 "attempts": claim.attempts},
            )
            return _rowcount(result) == 1

    async def mark_updated(self, claim: Claim, *, error: str | None = None) -> None:
        await self._finish(claim, "sent", error)

    async def mark_cancelled(self, claim: Claim, reason: str) -> None:
        await self._finish(claim, "cancelled", reason)

    async def mark_retry(self, claim: Claim, at: datetime, error: str) -> None:
        await self._finish(claim, "pending" if claim.status == "sending" else "update_pending", error, at)

    async def mark_failed(self, claim: Claim, error: str, now: datetime) -> None:
        """A permanent failure: recorded, and the other recipients' cards are refreshed to show it."""
        async with unit_of_work(self._sessions) as session:
            await session.execute(text("SELECT 1 FROM alerts WHERE id = :id FOR NO KEY UPDATE"), {"id": claim.alert_id})
            done = await self._finish_in(session, claim, "failed", error)
            if done and claim.kind in CARD_KINDS:
                await session.execute(
                    text(
                        "UPDATE alert_deliveries SET status = 'update_pending', next_attempt_at = :now"
                        " WHERE alert_id = :alert_id AND id <> :id AND kind IN ('alert', 'escalation')"
                        " AND status IN ('sent', 'updating') AND sent_activity_id IS NOT NULL"
                    ),
                    {"now": now, "alert_id": claim.alert_id, "id": claim.id},
                )

    async def _finish(self, claim: Claim, status: str, error: str | None, at: datetime | None = None) -> None:
        async with unit_of_work(self._sessions) as session:
            await self._finish_in(session, claim, status, error, at)

    @staticmethod
    async def _finish_in(session: AsyncSession, claim: Claim, status: str, error: str | None,
                         at: datetime | None = None) -> bool:
        result = await session.execute(
            text(
                "UPDATE alert_deliveries SET status = :new, last_error = :error,"
                " next_attempt_at = COALESCE(:at, next_attempt_at)"
                " WHERE id = :id AND status = :claimed AND attempts = :attempts"
            ),
            {"new": status, "error": error[:300] if error else None, "at": at, "id": claim.id,
             "claimed": claim.status, "attempts": claim.attempts},
        )
        return _rowcount(result) == 1


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


async def _store_reference(session: AsyncSession, staff_id: int, reference: dict[str, Any]) -> None:
    """Keep the 1:1 conversation the sender created, so the next alert reuses it."""
    conversation = reference.get("conversation") or {}
    await session.execute(
        text(
            """
            INSERT INTO conversation_references
                (staff_id, conversation_id, conversation_type, service_url, tenant_id, channel_id, bot_id, reference,
                 alerts_enabled)
            VALUES (:staff_id, :conversation_id, 'personal', :service_url, :tenant_id, :channel_id, :bot_id,
                    CAST(:reference AS jsonb), true)
            ON CONFLICT (conversation_id) DO UPDATE SET reference = EXCLUDED.reference, updated_at = now()
            """
        ),
        {"staff_id": staff_id, "conversation_id": str(conversation.get("id", ""))[:400],
         "service_url": str(reference.get("serviceUrl", ""))[:400],
         "tenant_id": str(conversation.get("tenantId") or reference.get("tenantId") or "")[:64],
         "channel_id": str(reference.get("channelId", "msteams"))[:40],
         "bot_id": str((reference.get("bot") or {}).get("id", ""))[:200], "reference": json.dumps(reference)},
    )


def _rowcount(result: Result[Any]) -> int:
    # An UPDATE through Session.execute returns a CursorResult (which has rowcount); the stubs type it as Result.
    return cast("CursorResult[Any]", result).rowcount
