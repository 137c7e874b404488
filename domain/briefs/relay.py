"""The pre-class brief relay, a job of the alert runner (``bot/alert_runner.py``), in every replica.

Each tick (1) enqueues the briefs that are due: every active class with a bell time meeting today (the school's time
zone) whose start is less than ``lead`` away, taught by active teaching staff who have not turned briefs off — one
row per (class, day), ``ON CONFLICT DO NOTHING``, so however many replicas see it due, one brief exists; (2) claims
due rows with ``FOR UPDATE SKIP LOCKED`` (leased, like the alert outbox), builds each brief from the database at
send time and sends it to the teacher's 1:1 chat only (a stored personal conversation, else one is opened; never a
group chat or channel); (3) records the outcome fenced on (status, attempts): sent, retried with the outbox's
backoff, failed, or skipped (briefs turned off since, class gone, class already started). Claims, leases, retries
and the Redis send journal are the shared outbox's (``domain/outbox``): a replica that crashes after the connector
accepted a brief and before recording it does not send it again — the next claim finds the journal entry and only
records the brief as sent (with Redis down, the brief is sent again once the lease expires).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Unpack
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.briefs.content import build_brief
from domain.briefs.preferences import temperature_today
from domain.briefs.types import BriefSender
from domain.db import unit_of_work
from domain.identity import actor_from_row, staff_actor_columns
from domain.models import BriefPreference, PreClassBrief, Staff
from domain.outbox import (
    DEFAULT_CONFIG,
    OutboxClaim,
    OutboxRelay,
    OutboxTable,
    RelayConfig,
    RelayOptions,
    Sent,
    load_target,
    require_linked,
)

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

@dataclass(frozen=True, slots=True)
class BriefConfig:
    lead: timedelta = timedelta(minutes=15)  # how long before the class starts
    heat_f: float = 90.0
    default_temperature_f: float | None = None
    relay: RelayConfig = DEFAULT_CONFIG


DEFAULT_BRIEFS = BriefConfig()


@dataclass(frozen=True, slots=True)
class Claim(OutboxClaim):
    class_id: int
    teacher_id: int
    day: date
    starts_at: datetime


class BriefRelay(OutboxRelay[Claim, BriefSender]):
    name = "brief"
    table = OutboxTable.of(PreClassBrief, Claim)
    journal_key = "faraday:briefs:sent:{}"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], sender: BriefSender, *,
                 config: BriefConfig = DEFAULT_BRIEFS, **options: Unpack[RelayOptions]) -> None:
        super().__init__(sessions, sender, config=config.relay, **options)
        self._config = config
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

    async def _deliver(self, claim: Claim) -> None:
        sent = await self._outbox.journaled(claim)
        if sent is not None:  # an earlier attempt reached Teams: record it, don't build or send it again
            await self._record(claim, sent, protocol=None)
            return
        if self._clock() >= claim.starts_at:
            await self._outbox.finish(claim, "skipped", "the class had started before it could be sent")
            return
        async with unit_of_work(self._sessions) as session:
            target = await load_target(session, claim.teacher_id, active_only=True)
            enabled = await session.scalar(select(BriefPreference.enabled)
                                           .where(BriefPreference.staff_id == claim.teacher_id))
            if target is None or enabled is False:
                reason = "briefs turned off" if target is not None else "teacher no longer on staff"
                await self._outbox.finish(claim, "skipped", reason)
                return
            require_linked(target)
            teacher_row = (await session.execute(staff_actor_columns().where(Staff.id == claim.teacher_id))).first()
            assert teacher_row is not None
            teacher = actor_from_row(tuple(teacher_row))
            temperature, _entered = await temperature_today(session, teacher.school_id, claim.day,
                                                            self._config.default_temperature_f)
            brief = await build_brief(session, teacher, claim.id, claim.class_id, claim.starts_at, temperature,
                                      self._config.heat_f)
        if brief is None:
            await self._outbox.finish(claim, "skipped", "the class is no longer theirs")
            return
        sent = await self._outbox.send_and_journal(claim, lambda: self._sender.send(target, brief))
        await self._record(claim, sent, protocol=brief.protocol.key)

    async def _record(self, claim: Claim, sent: Sent, *, protocol: str | None) -> None:
        if await self._outbox.record_sent(claim, sent, claim.teacher_id, sent_at=self._clock()):
            log.info("brief sent", extra={"brief_id": claim.id, "protocol": protocol})
