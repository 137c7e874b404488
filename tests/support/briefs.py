"""Pre-class brief test helpers: the alert world (stored 1:1 chats at a fake connector, actors by e-mail) plus the
brief relay on a fixed clock, sending through the real botbuilder CloudAdapter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bot.channel.brief_sender import BriefCardSender
from bot.channel.proactive import BotSender
from domain.alerts.ratelimit import RateLimiter
from domain.briefs import BriefConfig, BriefRelay, BriefSettings
from domain.outbox import Fault, Journal, RelayConfig
from tests.support.alerts import FAST, World, adapter

# Friday 20 Nov 2026 at 09:40 in Chicago (UTC-6): ten minutes before period 3 (09:50).
BEFORE_PERIOD_3 = datetime(2026, 11, 20, 15, 40, tzinfo=UTC)
LEAD = timedelta(minutes=15)


@dataclass
class Briefs(World):
    def relay(self, *, heat_f: float = 90.0, default_temperature_f: float | None = None,
              relay: RelayConfig = FAST, journal: Journal | None = None, fault: Fault | None = None) -> BriefRelay:
        sender = BriefCardSender(BotSender(adapter(), "", RateLimiter()))
        config = BriefConfig(lead=LEAD, heat_f=heat_f, default_temperature_f=default_temperature_f, relay=relay)
        return BriefRelay(self.sessions, sender, config=config, clock=self.clock, journal=journal, fault=fault)

    def settings(self) -> BriefSettings:
        return BriefSettings(self.sessions, minutes_before=LEAD.total_seconds() / 60, clock=self.clock)

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.sessions() as s:
            return [dict(r._mapping) for r in await s.execute(text(sql), params)]

    async def period_3_class(self, email: str) -> dict[str, Any]:
        return (await self.rows("SELECT c.* FROM classes c JOIN staff t ON t.id = c.teacher_id"
                                " WHERE t.email = :e AND c.period = '3'", e=email))[0]


async def drain(*relays: BriefRelay, rounds: int = 20) -> None:
    """Tick the relays (concurrently, as replicas do) until a round claims nothing."""
    import asyncio

    for _ in range(rounds):
        claimed = await asyncio.gather(*(r.tick() for r in relays))
        if not any(claimed):
            return
