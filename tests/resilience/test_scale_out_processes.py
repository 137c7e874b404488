"""Two bot *processes* (``python -m bot run`` twice: separate interpreters, so no module-level cache is shared)
against one PostgreSQL and one Valkey, hit alternately, as two replicas behind a round robin would be: an activity
sent to both is answered once, a card's Save pressed on both writes one incident, and a serious incident's alert
reaches the admin exactly once although both processes run an alert relay. (tests/resilience/test_scale_out.py
covers the same with two app instances in one process, plus conversation memory with a scripted model.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from devtools.fakes.activities import MEGAN, activity
from devtools.fakes.connector import FakeConnector
from domain.db import make_engine, make_sessionmaker
from domain.models import Incident
from tests.support.bot_process import bot_process
from tests.support.card_flow import card_action, card_inputs, execute

UNLIMITED = {"RATE_LIMIT_PER_MINUTE": "100000", "RATE_LIMIT_PER_HOUR": "100000"}


@pytest.fixture
async def replicas(full_db_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    stack = ExitStack()

    def start() -> tuple[str, str]:
        return (stack.enter_context(bot_process(full_db_url, redis_url, tmp_path / "a.log", **UNLIMITED)),
                stack.enter_context(bot_process(full_db_url, redis_url, tmp_path / "b.log", **UNLIMITED)))

    try:
        yield await asyncio.to_thread(start)
    finally:
        await asyncio.to_thread(stack.close)


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with http.post(url, json=body) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


def _alerts(connector: FakeConnector) -> list[dict[str, Any]]:
    return [a for a in connector.messages(f"a:personal-{MEGAN}") if "Serious incident" in json.dumps(a)]


async def test_two_processes_answer_once_save_once_and_alert_once(
    replicas: tuple[str, str], full_db_url: str, connector: FakeConnector
) -> None:
    a, b = replicas
    engine = make_engine(full_db_url, pool_size=1)
    sessions = make_sessionmaker(engine)

    async def incidents() -> int:
        async with sessions() as s:
            return int((await s.execute(select(func.count()).select_from(Incident)
                                        .where(Incident.idempotency_key.is_not(None)))).scalar_one())

    try:
        async with aiohttp.ClientSession() as http:
            # the same activity (Teams' re-send) reaching each replica in turn, then both at once: one answer each
            sequential = activity(connector.url, text="show me Jamie Ortiz")
            assert [(await _post(http, url, sequential))[0] for url in (a, b)] == [201, 201]
            assert len(connector.messages()) == 1
            at_once = activity(connector.url, text="show me Zoe Muller")
            statuses = await asyncio.gather(_post(http, a, at_once), _post(http, b, at_once))
            assert [s for s, _ in statuses] == [201, 201] and len(connector.messages()) == 2

            # the admin has a chat with Faraday (through replica B), so alerts can reach her
            assert (await _post(http, b, activity(connector.url, aad=MEGAN, text="alerts status")))[0] == 201

            # a serious incident proposed on A, Save pressed on A and on B at the same moment
            await _post(http, a, activity(
                connector.url, text="Jamie Ortiz hit her head on the floor in basketball, she seems dazed, really bad"))
            card = connector.messages()[-1]["attachments"][0]["content"]
            press = execute(connector, card_action(card, "Save"), card_inputs(card))
            saved = await asyncio.gather(_post(http, a, {**press, "id": "save-on-a"}),
                                         _post(http, b, {**press, "id": "save-on-b"}))
            assert [s for s, _ in saved] == [200, 200]
            assert saved[0][1]["value"]["body"][0]["text"] == saved[1][1]["value"]["body"][0]["text"]
            assert await incidents() == 1

            await connector.wait_for(lambda _: bool(_alerts(connector)), timeout=20)
            await asyncio.sleep(3)  # both relays have had time to (wrongly) send it again
            alerts = _alerts(connector)
            assert len(alerts) == 1, [a.get("text") for a in alerts]
            assert "Jamie Ortiz" in json.dumps(alerts[0])
    finally:
        await engine.dispose()
