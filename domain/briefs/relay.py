"""The pre-class brief relay, a job of the alert runner (``bot/alert_runner.py``), in every replica.

Each tick (1) enqueues the briefs that are due: every active class with a bell time meeting today (the school's time
zone) whose start is less than ``lead`` away, taught by active teaching staff who have not turned briefs off — one
row per (class, day), ``ON CONFLICT DO NOTHING``, so however many replicas see it due, one brief exists; (2) claims
due rows with ``FOR UPDATE SKIP LOCKED`` (leased, like the alert outbox), builds each brief from the database at
send time and sends it to the teacher's 1:1 chat only (a stored personal conversation, else one is opened; never a
group chat or channel); (3) records the outcome fenced on (status, attempts): sent, retried with the alerts'
backoff, failed, or skipped (briefs turned off since, class gone, class already started).

A replica that crashes after the connector accepted a brief and before recording it may send it again once its
lease expires (no send journal here, unlike alerts: a brief is not an alarm).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.alerts.relay import DEFAULT_CONFIG, RelayConfig, backoff
from domain.alerts.types import Clock, DeliveryError, Sent, Target, utc_now
from domain.briefs.content import build_brief
from domain.briefs.preferences import temperature_today
from domain.briefs.types import Brief, BriefSender
from domain.db import unit_of_work
from domain.identity import actor_from_row, staff_actor_columns
from domain.models import Staff
from domain.outbox import store_reference

log = logging.getLogger(__name__)

ENQUEUE_EVERY = timedelta(seconds=20)

_CLASSES = text(
    """
    SELECT c.id, c.teacher_id, c.meeting_days, c.starts_at, sc.time_zone
    FROM classes c
    JOIN schools sc ON sc.id = c.school_id
    JOIN staff t ON t.id = c.teacher_id
    LEFT JOIN brief_preferences p ON p.staff_id = t.id
    WHERE c.active AND c.starts_at IS NOT NULL AND t.active AND t.role IN ('teacher', 'coach')
      AND COALESCE(p.enabled, true)
    """
)
_ENQUEUE = text(
    "INSERT INTO pre_class_briefs (class_id, teacher_id, day, starts_at, status, attempts, next_attempt_at)"
    " VALUES (:class_id, :teacher_id, :day, :starts_at, 'pending', 0, :now) ON CONFLICT (class_id, day) DO NOTHING"
)
_CLAIM = text(
    """
    WITH due AS (
        SELECT id FROM pre_class_briefs
        WHERE status IN ('pending', 'sending') AND next_attempt_at <= :now
        ORDER BY next_attempt_at, id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE pre_class_briefs b SET status = 'sending', attempts = b.attempts + 1, next_attempt_at = :lease_until
    FROM due WHERE b.id = due.id
    RETURNING b.id, b.class_id, b.teacher_id, b.day, b.starts_at, b.attempts
    """
)
_TARGET = text(
    """
    SELECT s.id AS staff_id, s.display_name, s.tenant_id, s.aad_object_id, s.school_id, s.role::text AS role,
           (SELECT c.reference FROM conversation_references c WHERE c.staff_id = s.id
             AND c.conversation_type = 'personal' ORDER BY c.updated_at DESC LIMIT 1) AS reference,
           (SELECT c.service_url FROM conversation_references c WHERE c.tenant_id = s.tenant_id
             ORDER BY c.updated_at DESC LIMIT 1) AS service_url,
           (SELECT c.bot_id FROM conversation_references c WHERE c.tenant_id = s.tenant_id
             ORDER BY c.updated_at DESC LIMIT 1) AS bot_id,
           (SELECT p.enabled FROM brief_preferences p WHERE p.staff_id = s.id) AS enabled
    FROM staff s WHERE s.id = :id AND s.active
    """
)
_FINISH = text(
    "UPDATE pre_class_briefs SET status = :new, last_error = :error, next_attempt_at = COALESCE(:at, next_attempt_at),"
    " sent_activity_id = COALESCE(:activity_id, sent_activity_id),"
    " conversation_id = COALESCE(:conversation_id, conversation_id), sent_at = COALESCE(:sent_at, sent_at)"
    " WHERE id = :id AND status = 'sending' AND attempts = :attempts"
)


@dataclass(frozen=True, slots=True)
class BriefConfig:
    lead: timedelta = timedelta(minutes=15)  # how long before the class starts
    heat_f: float = 90.0
    default_temperature_f: float | None = None
    relay: RelayConfig = DEFAULT_CONFIG


DEFAULT_BRIEFS = BriefConfig()


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    class_id: int
    teacher_id: int
    day: date
    starts_at: datetime
    attempts: int


class BriefRelay:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], sender: BriefSender, *,
                 config: BriefConfig = DEFAULT_BRIEFS, clock: Clock = utc_now,
                 rng: random.Random | None = None) -> None:
        self._sessions = sessions
        self._sender = sender
        self._config = config
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - backoff jitter, not a secret
        self._gate = asyncio.Semaphore(config.relay.concurrency)
        self._enqueued_at: datetime | None = None

    async def tick(self) -> int:
        """Enqueue what is due (at most every ``ENQUEUE_EVERY``), then send one batch; returns the rows claimed."""
        if self._config.lead <= timedelta(0):
            return 0
        now = self._clock()
        if self._enqueued_at is None or not timedelta(0) <= now - self._enqueued_at < ENQUEUE_EVERY:
            await self.enqueue_due(now)
            self._enqueued_at = now
        return await self.run_once()

    async def enqueue_due(self, now: datetime) -> int:
        """One row per class starting within ``lead`` from now (and not started yet); returns the rows added."""
        rows: list[dict[str, object]] = []
        async with self._sessions() as session:
            classes = (await session.execute(_CLASSES)).all()
        for c in classes:
            local = now.astimezone(ZoneInfo(c.time_zone))
            if local.weekday() not in (c.meeting_days or []):
                continue
            start = datetime.combine(local.date(), c.starts_at, ZoneInfo(c.time_zone))
            if start - self._config.lead <= now < start:
                rows.append({"class_id": c.id, "teacher_id": c.teacher_id, "day": local.date(), "starts_at": start,
                             "now": now})
        if not rows:
            return 0
        async with unit_of_work(self._sessions) as session:
            result = await session.execute(_ENQUEUE, rows)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def run_once(self) -> int:
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            rows = await session.execute(_CLAIM, {"now": now, "lease_until": now + self._config.relay.lease,
                                                  "limit": self._config.relay.batch})
            claims = [Claim(**r._mapping) for r in rows]
        if claims:
            await asyncio.gather(*(self._guarded(c) for c in claims))
        return len(claims)

    async def _guarded(self, claim: Claim) -> None:
        async with self._gate:
            try:
                await self._deliver(claim)
            except DeliveryError as exc:
                await self._failed(claim, exc)
            except Exception as exc:  # a bug or an unexpected library error: retry later, never lose the row
                log.exception("brief delivery error", extra={"brief_id": claim.id})
                await self._failed(claim, DeliveryError(type(exc).__name__, retryable=True))

    async def _deliver(self, claim: Claim) -> None:
        if self._clock() >= claim.starts_at:
            await self._finish(claim, "skipped", "the class had started before it could be sent")
            return
        async with unit_of_work(self._sessions) as session:
            row = (await session.execute(_TARGET, {"id": claim.teacher_id})).mappings().first()
            if row is None or row["enabled"] is False:
                reason = "briefs turned off" if row is not None else "teacher no longer on staff"
                await self._finish(claim, "skipped", reason)
                return
            if not (row["tenant_id"] and row["aad_object_id"]):
                raise DeliveryError("not linked to Teams yet (has never messaged Faraday)", retryable=False,
                                    code="NotLinked")
            teacher_row = (await session.execute(staff_actor_columns().where(Staff.id == claim.teacher_id))).first()
            assert teacher_row is not None
            teacher = actor_from_row(tuple(teacher_row))
            temperature, _entered = await temperature_today(session, teacher.school_id, claim.day,
                                                            self._config.default_temperature_f)
            brief = await build_brief(session, teacher, claim.id, claim.class_id, claim.starts_at, temperature,
                                      self._config.heat_f)
        if brief is None:
            await self._finish(claim, "skipped", "the class is no longer theirs")
            return
        target = Target(staff_id=row["staff_id"], display_name=row["display_name"], tenant_id=row["tenant_id"],
                        aad_object_id=row["aad_object_id"], reference=row["reference"],
                        service_url=row["service_url"], bot_id=row["bot_id"], role=row["role"])
        sent = await self._sender.send(target, brief)
        await self._mark_sent(claim, sent, brief)

    async def _mark_sent(self, claim: Claim, sent: Sent, brief: Brief) -> None:
        async with unit_of_work(self._sessions) as session:
            if sent.new_reference is not None:
                await store_reference(session, claim.teacher_id, sent.new_reference)
            await session.execute(_FINISH, {"new": "sent", "error": None, "at": None, "id": claim.id,
                                            "attempts": claim.attempts, "activity_id": sent.activity_id[:200],
                                            "conversation_id": sent.conversation_id[:400], "sent_at": self._clock()})
        log.info("brief sent", extra={"brief_id": claim.id, "protocol": brief.protocol.key})

    async def _failed(self, claim: Claim, error: DeliveryError) -> None:
        message = f"{error.code or error.status or 'error'}: {error}"
        if error.retryable and claim.attempts < self._config.relay.max_attempts:
            delay = backoff(claim.attempts, error.retry_after, self._config.relay, self._rng)
            await self._finish(claim, "pending", message, at=self._clock() + timedelta(seconds=delay))
        else:
            await self._finish(claim, "failed", str(error))
            log.warning("brief failed", extra={"brief_id": claim.id, "status": error.status, "code": error.code})

    async def _finish(self, claim: Claim, status: str, error: str | None, *, at: datetime | None = None) -> None:
        async with unit_of_work(self._sessions) as session:
            await session.execute(_FINISH, {"new": status, "error": error[:300] if error else None, "at": at,
                                            "id": claim.id, "attempts": claim.attempts, "activity_id": None,
                                            "conversation_id": None, "sent_at": None})
