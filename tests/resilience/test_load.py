"""Load: 20 concurrent conversations mixing every tool — lookup, incident proposal + Save via card invoke, a class
widget, knowledge search (query embedding included) — for 2 minutes (20 s with FARADAY_QUICK_TESTS=1): zero 5xx, and
every incident the user was told was saved is in the database exactly once (rows counted after)."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.routes import ENGINE
from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from domain.db import make_engine, make_sessionmaker
from domain.models import AuditLog, Incident
from knowledge import CORPUS_DIR
from tests.support.card_flow import card_action, card_inputs, execute
from tests.support.resilience import settings_for

DURATION_S = 20.0 if os.environ.get("FARADAY_QUICK_TESTS") == "1" else 120.0
CONVERSATIONS = 20
CORPUS = CORPUS_DIR
STUDENTS = ("Jamie Ortiz", "Zoe Muller")


async def _ingest_two_documents(db_url: str, tmp: Path) -> None:
    from knowledge.embedders import MiniLMEmbedder
    from knowledge.ingest import ingest

    (tmp / "safety").mkdir(parents=True)
    for name in ("lightning-severe-weather.md", "air-quality-aqi.md"):
        shutil.copy(CORPUS / "safety" / name, tmp / "safety" / name)
    engine = make_engine(db_url, pool_size=2)
    try:
        report = await ingest(make_sessionmaker(engine), MiniLMEmbedder(), tmp)
        assert not report.errors, report.errors
    finally:
        await engine.dispose()


async def test_twenty_conversations_mixing_every_tool(demo_db_url: str, redis_url: str, connector: FakeConnector,
                                                      bots, tmp_path: Path) -> None:
    await _ingest_two_documents(demo_db_url, tmp_path / "corpus")
    client = await bots(settings_for(demo_db_url, redis_url), connector)
    statuses: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    confirmed: dict[str, int] = {}  # idempotency key -> incident number shown to the user
    pressed = 0
    wrong: list[tuple[str, str]] = []  # (op, what the user got) for a widget or knowledge reply without its content
    slowest = 0.0
    stop_at = time.monotonic() + DURATION_S
    numbers = itertools.count()

    async def post(body: dict[str, Any]) -> tuple[int, Any]:
        nonlocal slowest
        started = time.monotonic()
        status, payload = await client.post(body)
        slowest = max(slowest, time.monotonic() - started)
        statuses[status] += 1
        return status, payload

    def check_reply(op: str, cid: str) -> None:
        reply = connector.messages(cid)[-1]
        titles = [a["content"]["body"][0].get("text") for a in reply.get("attachments") or []
                  if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]
        citations = [c for e in reply.get("entities") or [] for c in e.get("citation") or []]
        if op == "widget":
            ok = titles == ["Attendance"] and "PE 7 — Period 3" in (reply.get("text") or "")
        else:
            ok = "Lightning" in (reply.get("text") or "") and any(
                c["appearance"]["name"].startswith("Lightning and Severe Weather") for c in citations)
        if not ok:
            wrong.append((op, (reply.get("text") or "")[:200]))

    async def conversation(n: int) -> None:
        nonlocal pressed
        cid = f"a:load-{n}"
        ops = itertools.cycle(("lookup", "incident", "widget", "knowledge"))
        while time.monotonic() < stop_at:
            op = next(ops)
            kinds[op] += 1
            if op == "lookup":
                await post(activity(connector.url, text="show me Jamie Ortiz", conversation_id=cid))
            elif op == "widget":
                if (await post(activity(connector.url, text="who's been missing class in period 3",
                                        conversation_id=cid)))[0] == 201:
                    check_reply(op, cid)
            elif op == "knowledge":
                status, _ = await post(activity(connector.url, text="what's the lightning rule", conversation_id=cid))
                if status == 201:
                    check_reply(op, cid)
            else:
                student = STUDENTS[next(numbers) % 2]
                status, _ = await post(activity(connector.url, conversation_id=cid,
                                                text=f"{student} scraped a knee on the track, minor"))
                if status != 201:
                    continue
                card = next(a for a in reversed(connector.messages(cid)) if a.get("attachments"))
                card = card["attachments"][0]["content"]
                press = execute(connector, card_action(card, "Save"), card_inputs(card))
                pressed += 1
                status, body = await post(press)
                text = body["value"]["body"][0]["text"] if status == 200 else ""
                match = re.match(r"Incident #(\d+)", text)
                if match:
                    confirmed[press["value"]["action"]["data"].get("key", press["id"])] = int(match.group(1))

    await asyncio.gather(*(conversation(n) for n in range(CONVERSATIONS)))

    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {200, 201}, statuses
    sessions = make_sessionmaker(client.server.app[ENGINE])
    async with sessions() as s:
        ids = list((await s.execute(select(Incident.id).where(Incident.idempotency_key.is_not(None)))).scalars())
        audits = (await s.execute(select(func.count()).select_from(AuditLog)
                                  .where(AuditLog.action == "incident.create"))).scalar_one()
    assert sorted(ids) == sorted(confirmed.values()), "every confirmed save is a row, and no row was not confirmed"
    assert pressed > 0 and len(confirmed) == pressed, f"{len(confirmed)} of {pressed} Save presses confirmed"
    assert kinds["widget"] > 0 and kinds["knowledge"] > 0 and wrong == [], wrong[:5]
    assert audits == len(ids)
    assert slowest < 15.0, f"slowest request {slowest:.1f} s"
    total = sum(statuses.values())
    print(f"{DURATION_S:.0f} s, {CONVERSATIONS} conversations: {total} requests ({total / DURATION_S:.1f}/s), "
          f"{dict(kinds)}, {len(ids)} incidents saved and confirmed, slowest {slowest:.2f} s, statuses {dict(statuses)}")
