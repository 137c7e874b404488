"""Alert fan-out: one serious incident to N admin conversations through a fake Bot Connector that enforces Teams'
limits (7 msg/s per conversation, 50 RPS per tenant; 429 + Retry-After past them).

``.venv/bin/python -m bench.alerts [--admins 200] [--latency-ms 20]``

Ours: the incident's transaction writes the outbox, then the relay (RateLimiter + BotSender over botbuilder's
CloudAdapter) delivers. Peer, same run, same connector settings: a naive sender that loops over the recipients with
``continue_conversation`` and only reacts to 429s (waits Retry-After, retries). Reported: time from commit to the
last delivery, 429s caused, and the floor the tenant limit forces ((N − 50) / 50 s after a full first second).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ConversationReference
from msrest.exceptions import HttpOperationError
from sqlalchemy import text

from bench.harness import migrated_postgres
from bot.cards.alert import alert_card
from bot.cards.elements import attachment
from bot.channel.auth import BotFrameworkConfig
from devtools.fakes.activities import TENANT, reference
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.alerts.outbox import enqueue_alerts
from domain.alerts.relay import Relay, RelayConfig
from domain.alerts.views import alert_views
from domain.db import make_engine, make_sessionmaker, unit_of_work
from domain.models import Incident
from domain.settings import Settings


def adapter() -> CloudAdapter:
    """A stock CloudAdapter in dev mode (no credentials: the fake connector accepts any caller)."""
    config = BotFrameworkConfig(Settings(faraday_dev_insecure=True))
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(config))


CONCURRENCY = 16  # in flight at once; more only queues in botbuilder's HTTP thread pool
SETUP = [
    "INSERT INTO districts (id, name) VALUES (1, 'Bench District')",
    "INSERT INTO schools (id, district_id, name, code, time_zone, grade_low, grade_high, supervision_ratio)"
    " VALUES (1, 1, 'Bench Middle', 'BM', 'America/Chicago', 6, 8, 30)",
    "INSERT INTO alert_rules (district_id, name, min_severity, incident_types, keywords, enabled)"
    " VALUES (1, 'Serious', 'serious', '[]', '[]', true)",
    "INSERT INTO staff (id, school_id, tenant_id, aad_object_id, email, display_name, role, active)"
    " VALUES (1, 1, :tenant, 'teacher', 't@example.com', 'Teacher', 'teacher', true)",
]


async def setup(sessions, admins: int, url: str) -> None:  # type: ignore[no-untyped-def]
    async with unit_of_work(sessions) as s:
        for sql in SETUP:
            await s.execute(text(sql), {"tenant": TENANT})
        for i in range(admins):
            aad, cid = f"admin-{i}", f"a:admin-{i}"
            await s.execute(text("INSERT INTO staff (id, school_id, tenant_id, aad_object_id, email, display_name,"
                                 " role, active) VALUES (:id, 1, :t, :aad, :email, :name, 'admin', true)"),
                            {"id": 100 + i, "t": TENANT, "aad": aad, "email": f"a{i}@example.com",
                             "name": f"Admin {i}"})
            await s.execute(text("INSERT INTO conversation_references (staff_id, conversation_id, conversation_type,"
                                 " service_url, tenant_id, channel_id, bot_id, reference, alerts_enabled) VALUES (:sid,"
                                 " :cid, 'personal', :url, :t, 'msteams', 'bot', CAST(:ref AS jsonb), true)"),
                            {"sid": 100 + i, "cid": cid, "url": url, "t": TENANT,
                             "ref": json.dumps(reference(url, cid, aad))})


async def incident(sessions) -> int:  # type: ignore[no-untyped-def]
    async with unit_of_work(sessions) as s:
        row = Incident(school_id=1, reporter_id=1, occurred_at=datetime.now(UTC), location="Gym", activity="Basketball",
                       incident_type="injury", severity="serious", description="Fell hard, possible fracture.")
        s.add(row)
        await s.flush()
        alert_id = await enqueue_alerts(s, row)
    assert alert_id is not None
    return alert_id


async def ours(sessions, connector: RateLimitedConnector, admins: int) -> float:  # type: ignore[no-untyped-def]
    from bot.channel.proactive import BotSender
    from domain.alerts.ratelimit import RateLimiter

    relay = Relay(sessions, BotSender(adapter(), "", RateLimiter()),
                  config=RelayConfig(batch=100, concurrency=CONCURRENCY))
    start = time.perf_counter()
    await incident(sessions)
    while len(connector.cards()) < admins:
        if not await relay.run_once():
            await asyncio.sleep(0.01)
    return time.perf_counter() - start


async def naive(sessions, connector: RateLimitedConnector, admins: int) -> float:  # type: ignore[no-untyped-def]
    bot = adapter()
    start = time.perf_counter()
    alert_id = await incident(sessions)
    async with sessions() as s:
        view = (await alert_views(s, [alert_id]))[alert_id]
        refs = (
            await s.execute(text("SELECT reference FROM conversation_references ORDER BY staff_id"))
        ).scalars().all()
    for ref in refs:
        while True:
            async def send(turn: TurnContext) -> None:
                await turn.send_activity(Activity(type="message", attachments=[attachment(alert_card(view))]))
            try:
                await bot.continue_conversation(ConversationReference().deserialize(ref), send, bot_app_id="")
                break
            except HttpOperationError as exc:
                await asyncio.sleep(float(exc.response.headers.get("Retry-After", "1")))
    return time.perf_counter() - start


async def run(url: str, admins: int, latency_s: float) -> None:
    results = {}
    for name, fn in (("ours (outbox relay, rate-limited)", ours), ("naive sequential", naive)):
        connector = await RateLimitedConnector(latency_s=latency_s).start()
        engine = make_engine(url, pool_size=10)
        sessions = make_sessionmaker(engine)
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE districts, alerts, alert_deliveries, incidents, staff,"
                                    " conversation_references RESTART IDENTITY CASCADE"))
        await setup(sessions, admins, connector.url)
        elapsed = await fn(sessions, connector, admins)
        results[name] = (elapsed, connector.throttled, len(connector.cards()))
        await engine.dispose()
        await connector.close()
    floor = max(0.0, (admins - 50) / 50)
    print(f"fan-out of one incident to {admins} admin conversations, connector latency {latency_s * 1000:.0f} ms;"
          f" the tenant limit forces ≥ {floor:.1f} s")
    for name, (elapsed, throttled, cards) in results.items():
        print(f"  {name:36s} last delivery {elapsed:6.2f} s   429s caused {throttled:4d}   cards {cards}")
    o, n = results["ours (outbox relay, rate-limited)"], results["naive sequential"]
    print(f"  ratio (naive / ours): {n[0] / o[0]:.2f}× time; over the floor: ours +{o[0] - floor:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admins", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    with migrated_postgres() as url:
        asyncio.run(run(url, args.admins, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
