"""Emergency test helpers: the demo district with three teachers in period 3 at Ridgeview Middle (Alex Wilber's
own period-3 class, plus a period-3 class added here for Isaiah Langer and for Nadia Okafor, each enrolling students
from that teacher's other classes), two admins (Megan Bowen, Lynne Robbins), the service on a fake clock, and relays
sending through the real botbuilder CloudAdapter to a rate-limited fake connector."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channel.emergency_sender import EmergencyCardSender
from bot.channel.proactive import BotSender
from domain.actor import Actor
from domain.alerts.ratelimit import RateLimiter
from domain.emergencies import EmergencyRelay, EmergencyService
from domain.seed.facts import DEMO
from tests.support.alerts import FAST, World, adapter

NADIA = "nadia.okafor@example.com"
TEACHERS = (DEMO.alex.email, DEMO.isaiah.email, NADIA)
ADMINS = (DEMO.megan.email, DEMO.lynne.email)
ESCALATE = timedelta(minutes=3)
# A Friday during the term at 14:30 local: no period-3 class is in session by the clock (drills don't need it).
FRIDAY_AFTERNOON = datetime(2026, 11, 20, 20, 30, tzinfo=UTC)


@dataclass
class School(World):
    classes: dict[str, int] | None = None  # teacher email -> their period-3 class id

    def service(self) -> EmergencyService:
        return EmergencyService(self.sessions, clock=self.clock, escalate_after=ESCALATE)

    def relay(self, sessions: async_sessionmaker[AsyncSession] | None = None, *,
              limiter: RateLimiter | None = None, batch: int = 50) -> EmergencyRelay:
        sender = EmergencyCardSender(BotSender(adapter(), "", limiter or RateLimiter()))
        config = FAST if batch == FAST.batch else type(FAST)(batch=batch, concurrency=batch, lease=FAST.lease,
                                                            max_attempts=5, backoff_base_s=0.05, backoff_cap_s=0.5)
        return EmergencyRelay(sessions or self.sessions, sender, config=config, escalate_after=ESCALATE,
                              clock=self.clock)

    async def roster(self, email: str) -> list[int]:
        assert self.classes is not None
        async with self.sessions() as s:
            rows = await s.execute(text("SELECT student_id FROM enrollments WHERE class_id = :c ORDER BY student_id"),
                                   {"c": self.classes[email]})
            return [r[0] for r in rows]

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.sessions() as s:
            return [dict(r._mapping) for r in await s.execute(text(sql), params)]

    async def deliveries(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return await self.rows("SELECT d.*, s.email FROM emergency_deliveries d JOIN staff s ON s.id = d.recipient_id"
                               " ORDER BY d.id")

    def conversation(self, actor: Actor) -> str:
        return f"a:personal-{actor.aad_object_id}"


async def add_period_3_class(sessions: async_sessionmaker[AsyncSession], email: str, size: int = 6) -> int:
    """A period-3 class for a teacher who has none, enrolling students from their other classes."""
    async with sessions() as s, s.begin():
        teacher = (await s.execute(text("SELECT id, school_id FROM staff WHERE email = :e"), {"e": email})).one()
        class_id = (await s.execute(text(
            "INSERT INTO classes (school_id, teacher_id, name, subject, grade, period, location, meeting_days,"
            " starts_at, minutes) VALUES (:school, :teacher, :name, 'PE', 7, '3', 'Field 1', '[0,1,2,3,4]',"
            " '09:50', 50) RETURNING id"),
            {"school": teacher.school_id, "teacher": teacher.id, "name": f"PE 7 — Period 3 ({email.split('@')[0]})"}
        )).scalar_one()
        await s.execute(text(
            "INSERT INTO enrollments (class_id, student_id, keep_apart_from) SELECT :cid, en.student_id, '[]'"
            " FROM enrollments en JOIN classes c ON c.id = en.class_id WHERE c.teacher_id = :teacher"
            " AND c.period <> '3' GROUP BY en.student_id ORDER BY en.student_id LIMIT :n"),
            {"cid": class_id, "teacher": teacher.id, "n": size})
        return int(class_id)


async def settle(world: School, *relays: EmergencyRelay, timeout: float = 30.0) -> None:
    """Run relays concurrently until every delivery is finished (sent, failed or cancelled; no update pending)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    async def keep_going(relay: EmergencyRelay) -> None:
        while loop.time() < deadline:
            if not await relay.tick():
                rows = await world.deliveries()
                if all(r["status"] in ("sent", "failed", "cancelled") for r in rows):
                    return
                await asyncio.sleep(0.02)

    await asyncio.gather(*(keep_going(r) for r in relays))
    rows = await world.deliveries()
    assert all(r["status"] in ("sent", "failed", "cancelled") for r in rows), [r["status"] for r in rows]


def card_texts(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "TextBlock":
            found.append(node.get("text", ""))
        if node.get("type") == "FactSet":
            found += [f"{f['title']}: {f['value']}" for f in node["facts"]]
        for value in node.values():
            found += card_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += card_texts(value)
    return found


def card_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action.") and "title" in node:
                found.append(node)
            for key, value in node.items():
                if key not in ("refresh", "fallback"):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found
