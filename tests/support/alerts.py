"""Alert test harness: the demo district, the incident write path with the alert hook, stored references pointing
at a rate-limited fake connector, and a relay sending through the real botbuilder CloudAdapter."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import BotConfig
from bot.channel.proactive import BotSender
from devtools.fakes.activities import BOT_ID, TENANT, reference
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.actor import Actor
from domain.alerts.outbox import AlertOutbox
from domain.alerts.ratelimit import RateLimiter
from domain.alerts.relay import Relay, RelayConfig
from domain.alerts.service import AlertService
from domain.alerts.types import Journal
from domain.identity import IdentityService
from domain.incidents import IncidentService, validate_draft
from domain.models import Staff, Student
from domain.seed.facts import DEMO
from domain.settings import Settings

_keys = itertools.count(1)


FAST = RelayConfig(batch=50, concurrency=32, lease=timedelta(seconds=30), max_attempts=5, backoff_base_s=0.05,
                   backoff_cap_s=0.5)


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def adapter() -> CloudAdapter:
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(BotConfig(Settings(faraday_dev_insecure=True))))


def make_relay(sessions: async_sessionmaker[AsyncSession], *, config: RelayConfig = FAST, clock: Any = None,
               journal: Journal | None = None, limiter: RateLimiter | None = None) -> Relay:
    sender = BotSender(adapter(), "", limiter or RateLimiter())
    kwargs: dict[str, Any] = {"config": config, "journal": journal}
    if clock is not None:
        kwargs["clock"] = clock
    return Relay(sessions, sender, **kwargs)


@dataclass
class World:
    sessions: async_sessionmaker[AsyncSession]
    connector: RateLimitedConnector
    clock: FakeClock
    actors: dict[str, Actor] = field(default_factory=dict)

    def incidents(self) -> IncidentService:
        return IncidentService(self.sessions, after_create=[AlertOutbox(clock=self.clock)])

    def alerts(self) -> AlertService:
        return AlertService(self.sessions, clock=self.clock)

    async def actor(self, email: str) -> Actor:
        if email not in self.actors:
            found = await IdentityService(self.sessions).by_email(email)
            assert found is not None, email
            self.actors[email] = found
        return self.actors[email]

    async def remember(self, email: str, conversation_id: str | None = None) -> str:
        """Store a 1:1 conversation reference for a staff member, pointing at the fake connector."""
        actor = await self.actor(email)
        cid = conversation_id or f"a:personal-{actor.aad_object_id}"
        async with self.sessions() as s, s.begin():
            await s.execute(
                text("INSERT INTO conversation_references (staff_id, conversation_id, conversation_type, service_url,"
                     " tenant_id, channel_id, bot_id, reference, alerts_enabled) VALUES (:sid, :cid, 'personal', :url,"
                     " :tenant, 'msteams', :bot, CAST(:ref AS jsonb), true)"),
                {"sid": actor.staff_id, "cid": cid, "url": self.connector.url, "tenant": TENANT, "bot": f"28:{BOT_ID}",
                 "ref": json.dumps(reference(self.connector.url, cid, actor.aad_object_id))},
            )
        return cid

    async def log_incident(self, *, severity: str = "serious", description: str = "Fell from the climbing wall.",
                           incident_type: str = "injury", injuries: str | None = None,
                           action_taken: str | None = "Ice, nurse called", reporter: str = DEMO.alex.email,
                           student_number: str = DEMO.jamie_ortiz.student_number) -> int:
        actor = await self.actor(reporter)
        async with self.sessions() as s:
            student_id = (await s.execute(select(Student.id).where(Student.student_number == student_number))).scalar_one()
        draft = validate_draft(
            {"student_id": student_id, "occurred_at": self.clock().isoformat(), "location": "Gym",
             "activity": "Climbing", "incident_type": incident_type, "severity": severity,
             "description": description, "injuries": injuries, "action_taken": action_taken}, self.clock())
        saved = await self.incidents().create(actor, draft, f"key-{next(_keys)}", via="test")
        return saved.id

    async def recipients(self) -> list[str]:
        """Emails of Ridgeview Middle's admins and nurse (who get every alert)."""
        async with self.sessions() as s:
            school = (await self.actor(DEMO.megan.email)).school_id
            rows = await s.execute(select(Staff.email).where(Staff.school_id == school, Staff.active.is_(True),
                                                             Staff.role.in_(["admin", "nurse"])).order_by(Staff.id))
            return list(rows.scalars())

    async def deliveries(self) -> list[dict[str, Any]]:
        async with self.sessions() as s:
            rows = await s.execute(text("SELECT d.*, s.email FROM alert_deliveries d JOIN staff s ON s.id = d.recipient_id"
                                        " ORDER BY d.id"))
            return [dict(r._mapping) for r in rows]


async def drain(relay: Relay, rounds: int = 50) -> int:
    """Run the relay until a round claims nothing; returns rows claimed in total."""
    total = 0
    for _ in range(rounds):
        claimed = await relay.run_once()
        if not claimed:
            return total
        total += claimed
    return total


async def settle(world: World, *relays: Relay, timeout: float = 30.0) -> None:
    """Run relays (concurrently) until every delivery is finished: sent, failed or cancelled, no update pending."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    async def keep_going(relay: Relay) -> None:
        while loop.time() < deadline:
            if not await relay.run_once():
                rows = await world.deliveries()
                if rows and all(r["status"] in ("sent", "failed", "cancelled") for r in rows):
                    return
                await asyncio.sleep(0.02)

    await asyncio.gather(*(keep_going(r) for r in relays))
    rows = await world.deliveries()
    assert all(r["status"] in ("sent", "failed", "cancelled") for r in rows), [r["status"] for r in rows]
