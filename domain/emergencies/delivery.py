"""The emergency card relay: the alert relay's delivery discipline (``domain/alerts/relay.py``) on the
``emergency_deliveries`` outbox — rows claimed with ``FOR UPDATE SKIP LOCKED`` in short transactions and leased,
outcomes fenced on (status, attempts), retries with the alerts' backoff and jitter honouring Retry-After, sends
through the same ``BotSender`` and its process-wide Teams rate limiter. Any number of replicas may run it: each card
goes out once; a sent card whose content changed (an answer, a mark, an escalation, the all clear) is updated in
place, and concurrent changes coalesce into one update rendered from the latest state.

Recipients who turned alerts off still get emergency cards (an emergency is not a notification preference).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.alerts.relay import DEFAULT_CONFIG, RelayConfig, backoff
from domain.alerts.types import Clock, DeliveryError, Journal, Sent, Target, utc_now
from domain.db import unit_of_work
from domain.emergencies.escalation import escalate_due
from domain.emergencies.types import ADMIN_KINDS, KIND_ESCALATION, KIND_REMINDER, EmergencyView, TeacherView
from domain.emergencies.views import refresh_user_ids, roll_up, teacher_view
from domain.outbox import store_reference

log = logging.getLogger(__name__)

_CLAIM = text(
    """
    WITH due AS (
        SELECT id, status FROM emergency_deliveries
        WHERE status IN ('pending', 'sending', 'update_pending', 'updating') AND next_attempt_at <= :now
        ORDER BY next_attempt_at, id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE emergency_deliveries d
    SET status = CASE WHEN due.status IN ('pending', 'sending') THEN 'sending' ELSE 'updating' END,
        attempts = d.attempts + 1,
        next_attempt_at = :lease_until
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.emergency_id, d.recipient_id, d.kind, d.level, d.status, due.status AS previous, d.attempts,
              d.sent_activity_id, d.conversation_id
    """
)
_TARGET = text(
    """
    SELECT s.id AS staff_id, s.display_name, s.tenant_id, s.aad_object_id,
           (SELECT c.reference FROM conversation_references c WHERE c.staff_id = s.id
             AND c.conversation_type = 'personal' ORDER BY c.updated_at DESC LIMIT 1) AS reference,
           (SELECT c.service_url FROM conversation_references c WHERE c.tenant_id = s.tenant_id
             ORDER BY c.updated_at DESC LIMIT 1) AS service_url,
           (SELECT c.bot_id FROM conversation_references c WHERE c.tenant_id = s.tenant_id
             ORDER BY c.updated_at DESC LIMIT 1) AS bot_id
    FROM staff s WHERE s.id = :id
    """
)
JOURNAL_KEY = "faraday:emergencies:sent:{}"


class CardSender(Protocol):
    async def send(self, target: Target, view: EmergencyView) -> Sent: ...

    async def update(self, target: Target, activity_id: str, view: EmergencyView) -> None: ...


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    emergency_id: int
    recipient_id: int
    kind: str
    level: int
    status: str
    previous: str
    attempts: int
    sent_activity_id: str | None
    conversation_id: str | None

    @property
    def resumed(self) -> bool:
        return self.previous == self.status


class RedisEmergencyJournal:
    """"Delivery N went out as activity A", written right after the connector answers (as the alerts' journal)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def record(self, delivery_id: int, activity_id: str, conversation_id: str) -> None:
        try:
            await self._redis.set(JOURNAL_KEY.format(delivery_id), f"{activity_id}\n{conversation_id}",
                                  ex=7 * 24 * 3600)
        except (RedisError, OSError) as exc:
            log.info("emergency journal not written", extra={"error": type(exc).__name__})

    async def lookup(self, delivery_id: int) -> tuple[str, str] | None:
        try:
            value = await self._redis.get(JOURNAL_KEY.format(delivery_id))
        except (RedisError, OSError):
            return None
        if not value:
            return None
        activity_id, _, conversation_id = (value.decode() if isinstance(value, bytes) else str(value)).partition("\n")
        return activity_id, conversation_id


class EmergencyRelay:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], sender: CardSender, *,
                 config: RelayConfig = DEFAULT_CONFIG, escalate_after: timedelta = timedelta(minutes=3),
                 clock: Clock = utc_now, journal: Journal | None = None, rng: random.Random | None = None) -> None:
        self._sessions = sessions
        self._sender = sender
        self._config = config
        self._escalate_after = escalate_after
        self._clock = clock
        self._journal = journal
        self._rng = rng or random.Random()  # noqa: S311 - backoff jitter, not a secret
        self._gate = asyncio.Semaphore(config.concurrency)
        self.claimed = 0

    async def tick(self) -> int:
        """Remind/escalate what is due, then deliver one batch; returns the rows claimed."""
        await escalate_due(self._sessions, self._clock(), self._escalate_after)
        return await self.run_once()

    async def run_once(self) -> int:
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            rows = await session.execute(_CLAIM, {"now": now, "lease_until": now + self._config.lease,
                                                  "limit": self._config.batch})
            claims = [Claim(**r._mapping) for r in rows]
        if not claims:
            return 0
        self.claimed += len(claims)
        await asyncio.gather(*(self._guarded(c) for c in claims))
        return len(claims)

    async def _guarded(self, claim: Claim) -> None:
        async with self._gate:
            try:
                async with self._sessions() as session:
                    target = await _target(session, claim.recipient_id)
                    view = await _view(session, claim, target)
                if view is None or target is None:
                    await self._finish(claim, "cancelled", "emergency or recipient no longer exists")
                elif claim.status == "sending":
                    await self._send(claim, view, target)
                else:
                    await self._update(claim, view, target)
            except DeliveryError as exc:
                await self._failed(claim, exc)
            except Exception as exc:  # a bug or an unexpected library error: retry later, never lose the row
                log.exception("emergency delivery error", extra={"delivery_id": claim.id})
                await self._failed(claim, DeliveryError(type(exc).__name__, retryable=True))

    async def _send(self, claim: Claim, view: EmergencyView, target: Target) -> None:
        if claim.kind in (KIND_REMINDER, KIND_ESCALATION) and view.header.closed:
            await self._finish(claim, "cancelled", "all clear before it was sent")
            return
        if claim.resumed and self._journal is not None:
            recorded = await self._journal.lookup(claim.id)
            if recorded is not None:  # the earlier attempt reached the connector: record it, don't send twice
                await self._mark_sent(claim, Sent(recorded[0], recorded[1]), None)
                return
        sent = await self._sender.send(target, view)
        if self._journal is not None:
            await self._journal.record(claim.id, sent.activity_id, sent.conversation_id)
        await self._mark_sent(claim, sent, view)

    async def _mark_sent(self, claim: Claim, sent: Sent, view: EmergencyView | None) -> None:
        """Record the send. Locks the emergency FOR SHARE first: a change committing meanwhile either sees this row
        sent (and queues its update) or is seen here (the row is queued for an update now)."""
        async with unit_of_work(self._sessions) as session:
            await session.execute(text("SELECT 1 FROM emergencies WHERE id = :id FOR SHARE"),
                                  {"id": claim.emergency_id})
            state = (await session.execute(text("SELECT version, closed_at IS NOT NULL AS closed FROM emergencies"
                                                " WHERE id = :id"), {"id": claim.emergency_id})).one()
            if view is None:
                stale = True
            elif claim.kind in ADMIN_KINDS:
                stale = view.header.version != state.version
            else:
                stale = view.header.closed != state.closed
            if sent.new_reference is not None:
                await store_reference(session, claim.recipient_id, sent.new_reference)
            result = await session.execute(
                text("UPDATE emergency_deliveries SET status = :status, sent_activity_id = :activity_id,"
                     " conversation_id = :conversation_id, next_attempt_at = :now, last_error = NULL,"
                     " rendered_version = :version WHERE id = :id AND status = 'sending' AND attempts = :attempts"),
                {"status": "update_pending" if stale else "sent", "activity_id": sent.activity_id[:200],
                 "conversation_id": sent.conversation_id[:400], "now": self._clock(), "id": claim.id,
                 "attempts": claim.attempts, "version": view.header.version if view else None},
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                log.warning("emergency card sent after its lease expired", extra={"delivery_id": claim.id})

    async def _update(self, claim: Claim, view: EmergencyView, target: Target) -> None:
        if not (claim.sent_activity_id and claim.conversation_id):
            await self._finish(claim, "sent", "no card to update")
            return
        async with self._sessions() as session:
            reference = await session.scalar(
                text("SELECT reference FROM conversation_references WHERE conversation_id = :id"),
                {"id": claim.conversation_id})
        if reference is None:
            await self._finish(claim, "sent", "conversation no longer known")
            return
        await self._sender.update(Target(target.staff_id, target.display_name, target.tenant_id,
                                         target.aad_object_id, reference), claim.sent_activity_id, view)
        await self._finish(claim, "sent", None, version=view.header.version)

    async def _failed(self, claim: Claim, error: DeliveryError) -> None:
        message = f"{error.code or error.status or 'error'}: {error}"
        if error.retryable and claim.attempts < self._config.max_attempts:
            delay = backoff(claim.attempts, error.retry_after, self._config, self._rng)
            await self._finish(claim, "pending" if claim.status == "sending" else "update_pending", message,
                               at=self._clock() + timedelta(seconds=delay))
        elif claim.status == "updating":
            await self._finish(claim, "sent", message)
        else:
            await self._finish(claim, "failed", str(error)[:300])
            log.warning("emergency card failed", extra={"delivery_id": claim.id, "status": error.status,
                                                        "code": error.code})

    async def _finish(self, claim: Claim, status: str, error: str | None, *, at: datetime | None = None,
                      version: int | None = None) -> None:
        async with unit_of_work(self._sessions) as session:
            await session.execute(
                text("UPDATE emergency_deliveries SET status = :new, last_error = :error,"
                     " next_attempt_at = COALESCE(:at, next_attempt_at),"
                     " rendered_version = COALESCE(:version, rendered_version)"
                     " WHERE id = :id AND status = :claimed AND attempts = :attempts"),
                {"new": status, "error": error[:300] if error else None, "at": at, "version": version,
                 "id": claim.id, "claimed": claim.status, "attempts": claim.attempts},
            )


async def _target(session: AsyncSession, staff_id: int) -> Target | None:
    r = (await session.execute(_TARGET, {"id": staff_id})).mappings().first()
    if r is None:
        return None
    return Target(staff_id=r["staff_id"], display_name=r["display_name"], tenant_id=r["tenant_id"],
                  aad_object_id=r["aad_object_id"], reference=r["reference"], service_url=r["service_url"],
                  bot_id=r["bot_id"])


async def _view(session: AsyncSession, claim: Claim, target: Target | None) -> EmergencyView | None:
    users = await refresh_user_ids(session, claim.recipient_id) if target is not None else ()
    if claim.kind in ADMIN_KINDS:
        return await roll_up(session, claim.emergency_id, escalated=claim.kind == KIND_ESCALATION, user_ids=users)
    view: TeacherView | None = await teacher_view(session, claim.emergency_id, claim.recipient_id,
                                                  reminder=claim.kind == KIND_REMINDER, user_ids=users)
    return view

