"""An evacuation at a school of N classes (default 60) with 2 admins, through a fake Bot Connector that enforces
Teams' limits (per conversation 7/1 s, 8/2 s, 60/30 s; 50 RPS per tenant; 429 + Retry-After past them).

``.venv/bin/python -m bench.emergency [--classes 60] [--latency-ms 20]``

Measured: from the admin's start command (the service's commit) until every teacher has the card; then every
teacher answers *All here* at once, and the time until both admins' cards show N of N.

Ours: ``EmergencyService`` writes the outbox; ``EmergencyRelay`` (the alert relay's rate limiter and BotSender over
botbuilder's CloudAdapter) delivers; answers queue one coalesced update per admin card, rendered from the latest
state. Peer, same run, same connector: a naive sender that loops over the teachers with ``continue_conversation``,
then updates each admin's card once per answer, reacting only to 429s (waits Retry-After, retries). The floor Teams'
limits force is printed beside them: N + 2 cards at 50 RPS per tenant, and one update per admin after the last answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from datetime import timedelta
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError
from sqlalchemy import text

from bench.harness import migrated_postgres
from bot.cards.elements import attachment
from bot.cards.emergency import emergency_card
from bot.channel.auth import BotFrameworkConfig
from bot.channel.emergency_sender import EmergencyCardSender
from bot.channel.proactive import BotSender
from devtools.fakes.activities import TENANT, reference
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.actor import Actor
from domain.alerts.ratelimit import RateLimiter
from domain.alerts.relay import RelayConfig
from domain.db import make_engine, make_sessionmaker, unit_of_work
from domain.emergencies import EmergencyRelay, EmergencyService
from domain.emergencies.views import roll_up, teacher_view
from domain.models import Role
from domain.settings import Settings

ADMINS = 2
STUDENTS_PER_CLASS = 25


def adapter() -> CloudAdapter:
    """A stock CloudAdapter in dev mode (no credentials: the fake connector accepts any caller)."""
    config = BotFrameworkConfig(Settings(faraday_dev_insecure=True))
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(config))


async def setup(sessions: Any, classes: int, url: str) -> None:
    async with unit_of_work(sessions) as s:
        await s.execute(text("INSERT INTO districts (id, name) VALUES (1, 'Bench District')"))
        await s.execute(text(
            "INSERT INTO schools (id, district_id, name, code, time_zone, grade_low, grade_high, supervision_ratio)"
            " VALUES (1, 1, 'Bench High', 'BH', 'America/Chicago', 9, 12, 30)"))
        people = [(100 + i, f"admin-{i}", "admin") for i in range(ADMINS)]
        people += [(1000 + i, f"teacher-{i}", "teacher") for i in range(classes)]
        for sid, aad, role in people:
            cid = f"a:{aad}"
            await s.execute(text("INSERT INTO staff (id, school_id, tenant_id, aad_object_id, email, display_name,"
                                 " role, active) VALUES (:id, 1, :t, :aad, :email, :name, :role, true)"),
                            {"id": sid, "t": TENANT, "aad": aad, "email": f"{aad}@example.com", "name": aad,
                             "role": role})
            await s.execute(text("INSERT INTO conversation_references (staff_id, conversation_id, conversation_type,"
                                 " service_url, tenant_id, channel_id, bot_id, reference, alerts_enabled) VALUES"
                                 " (:sid, :cid, 'personal', :url, :t, 'msteams', 'bot', CAST(:ref AS jsonb), true)"),
                            {"sid": sid, "cid": cid, "url": url, "t": TENANT,
                             "ref": json.dumps(reference(url, cid, aad))})
        for i in range(classes):
            await s.execute(text("INSERT INTO classes (id, school_id, teacher_id, name, subject, grade, period,"
                                 " location, meeting_days, minutes) VALUES (:id, 1, :t, :name, 'PE', 10, '3',"
                                 " 'Field', '[0,1,2,3,4]', 50)"),
                            {"id": 1 + i, "t": 1000 + i, "name": f"PE 10 — Period 3 ({i})"})
        await s.execute(text(
            "INSERT INTO students (id, school_id, student_number, first_name, last_name, grade, date_of_birth, sex,"
            " directory_opt_out, medical_flags, adaptations) SELECT g, 1, 'B' || g, 'Student', 'No' || g, 10,"
            " DATE '2010-01-01', 'X', false, '[]', '[]' FROM generate_series(1, :n) g"),
            {"n": classes * STUDENTS_PER_CLASS})
        await s.execute(text(
            "INSERT INTO enrollments (class_id, student_id, keep_apart_from) SELECT 1 + (g - 1) / :per, g, '[]'"
            " FROM generate_series(1, :n) g"), {"per": STUDENTS_PER_CLASS, "n": classes * STUDENTS_PER_CLASS})


def actor(staff_id: int, role: Role) -> Actor:
    return Actor(staff_id=staff_id, school_id=1, role=role, tenant_id=TENANT, aad_object_id=f"x-{staff_id}",
                 display_name=f"Staff {staff_id}", email="x@example.com", school_name="Bench High",
                 time_zone="America/Chicago")


def answered(connector: RateLimitedConnector, classes: int) -> bool:
    """Both admins' cards (their latest version) show every class accounted for."""
    want = f"{classes} of {classes}"
    for i in range(ADMINS):
        versions = connector.updates(f"a:admin-{i}") or connector.messages(f"a:admin-{i}")
        shown = json.dumps(versions[-1]) if versions else ""
        if want not in shown:
            return False
    return True


async def ours(sessions: Any, connector: RateLimitedConnector, classes: int) -> tuple[float, float]:
    service = EmergencyService(sessions, escalate_after=timedelta(hours=1))
    relay = EmergencyRelay(sessions, EmergencyCardSender(BotSender(adapter(), "", RateLimiter())),
                           config=RelayConfig(batch=100, concurrency=16), escalate_after=timedelta(hours=1))
    stop = asyncio.Event()

    async def relaying() -> None:
        while not stop.is_set():
            if not await relay.tick():
                await asyncio.sleep(0.01)

    start = time.perf_counter()
    started = await service.start(actor(100, Role.admin), "evacuation", drill=True, period="3", via="bench")
    task = asyncio.create_task(relaying())
    await connector.wait_for(lambda _: len(connector.cards()) >= classes + ADMINS, 600)
    cards_at = time.perf_counter() - start
    await asyncio.gather(*(service.account(actor(1000 + i, Role.teacher), started.emergency_id, 1 + i, via="bench")
                           for i in range(classes)))
    answers_at = time.perf_counter()
    await connector.wait_for(lambda _: answered(connector, classes), 600)
    tally_at = time.perf_counter() - answers_at
    stop.set()
    await task
    return cards_at, tally_at


async def naive(sessions: Any, connector: RateLimitedConnector, classes: int) -> tuple[float, float]:
    service = EmergencyService(sessions, escalate_after=timedelta(hours=1))
    bot = adapter()
    start = time.perf_counter()
    started = await service.start(actor(100, Role.admin), "evacuation", drill=True, period="3", via="bench")
    eid = started.emergency_id
    async with sessions() as s:
        refs = {r.staff_id: r.reference for r in (await s.execute(text(
            "SELECT staff_id, reference FROM conversation_references"))).all()}
    admin_ids: dict[int, str] = {}
    for sid in sorted(refs):
        async with sessions() as s:
            view = (await roll_up(s, eid) if sid < 1000 else await teacher_view(s, eid, sid))
        activity_id = await _call(bot, refs[sid], Activity(type="message", attachments=[attachment(
            emergency_card(view))]))  # type: ignore[arg-type]
        if sid < 1000:
            admin_ids[sid] = activity_id
    cards_at = time.perf_counter() - start
    answers_at = time.perf_counter()
    for i in range(classes):  # each answer updates each admin's card
        await service.account(actor(1000 + i, Role.teacher), eid, 1 + i, via="bench")
        async with sessions() as s:
            view = await roll_up(s, eid)
        for sid, activity_id in admin_ids.items():
            await _call(bot, refs[sid], Activity(type="message", id=activity_id, attachments=[attachment(
                emergency_card(view))]), update=True)  # type: ignore[arg-type]
    tally_at = time.perf_counter() - answers_at
    return cards_at, tally_at


async def _call(bot: Any, ref: dict[str, Any], activity: Activity, *, update: bool = False) -> str:
    ids: list[str] = []
    while True:
        async def callback(turn: TurnContext) -> None:
            if update:
                await turn.update_activity(activity)
            else:
                response = await turn.send_activity(activity)
                ids.append(response.id if response else "")
        try:
            await bot.continue_conversation(ConversationReference().deserialize(ref), callback, bot_app_id="")
            return ids[0] if ids else ""
        except HttpOperationError as exc:
            await asyncio.sleep(float(exc.response.headers.get("Retry-After", "1")))
        except ClientRequestError as exc:  # requests' own retry refuses a fractional Retry-After: honour it here
            found = re.search(r"Retry-After header: ([0-9.]+)", str(exc))
            await asyncio.sleep(float(found.group(1)) if found else 1.0)


async def run(url: str, classes: int, latency_s: float) -> None:
    results = {}
    for name, fn in (("ours (outbox relay, coalesced updates)", ours), ("naive sequential", naive)):
        connector = await RateLimitedConnector(latency_s=latency_s).start()
        engine = make_engine(url, pool_size=20)
        sessions = make_sessionmaker(engine)
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE districts, staff, conversation_references, emergencies"
                                    " RESTART IDENTITY CASCADE"))
        await setup(sessions, classes, connector.url)
        cards_at, tally_at = await fn(sessions, connector, classes)
        results[name] = (cards_at, tally_at, connector.throttled, len(connector.cards()), len(connector.updates()))
        await engine.dispose()
        await connector.close()
    cards_floor = max(0.0, (classes + ADMINS - 50) / 50)
    print(f"evacuation at a school of {classes} classes ({classes} teachers, {ADMINS} admins), connector latency"
          f" {latency_s * 1000:.0f} ms")
    print(f"  floor from Teams' limits: every card out ≥ {cards_floor:.2f} s; tally after the last answer ≥ one"
          " update per admin card (one round trip)")
    for name, (cards_at, tally_at, throttled, cards, updates) in results.items():
        print(f"  {name:40s} all teachers carded {cards_at:6.2f} s   tally {classes}/{classes} after answers"
              f" {tally_at:6.2f} s   429s {throttled:3d}   cards {cards}   card updates {updates}")
    o, n = results["ours (outbox relay, coalesced updates)"], results["naive sequential"]
    print(f"  ratio (naive / ours): cards {n[0] / o[0]:.2f}×, tally {n[1] / o[1]:.2f}×;"
          f" ours over the card floor +{o[0] - cards_floor:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    with migrated_postgres() as url:
        asyncio.run(run(url, args.classes, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
