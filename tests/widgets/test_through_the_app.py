"""run_widget through the real app over HTTP (real Postgres, Valkey, fake connector), with the real openai SDK talking
to the scripted OpenAI-compatible server (tests/fakes/openai_server.py), as the README promises for app tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agent.openai_backend import OpenAIBackend
from devtools.fakes.activities import ALEX, activity
from devtools.fakes.connector import FakeConnector
from devtools.fakes.openai_server import ScriptedOpenAI, call, say
from domain.models import AuditLog
from tests.support.app_client import BotClient, bot_settings, start_bot


def _clock(tz: str) -> datetime:
    return datetime.combine(date(2026, 11, 20), time(15), ZoneInfo(tz))


@pytest.fixture
async def start(demo_db_url: str, redis_url: str, connector: FakeConnector, model: ScriptedOpenAI) -> AsyncIterator[Any]:
    """The app with the real openai SDK talking to the scripted server: run_widget with the given arguments, then a
    final answer."""
    started: list[tuple[BotClient, OpenAIBackend]] = []

    async def _start(arguments: dict[str, Any], answer: str) -> BotClient:
        model.script = [call("run_widget", arguments), say(answer)]
        backend = OpenAIBackend(api_key="test-key", base_url=model.base_url, model="test-model", timeout_s=10)
        client = await start_bot(bot_settings(demo_db_url, redis_url), connector, backend=backend, clock=_clock)
        started.append((client, backend))
        return client

    yield _start
    for client, backend in started:
        await client.close()
        await client.server.close()
        await backend.close()


def _tool_result(model: ScriptedOpenAI) -> dict[str, Any]:
    """What the app sent back to the model for the run_widget call (the second request's last message)."""
    assert len(model.received) == 2, "the model was asked twice: the tool call, then the answer"
    message = model.received[1]["messages"][-1]
    assert message["role"] == "tool"
    result: dict[str, Any] = json.loads(message["content"])
    return result


def _cards(connector: FakeConnector) -> list[dict[str, Any]]:
    return [a["content"] for m in connector.messages() for a in (m.get("attachments") or [])
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]


async def test_a_teacher_asks_about_attendance_and_gets_a_widget_card(start, connector: FakeConnector, model: ScriptedOpenAI, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    bot = await start({"widget": "attendance", "class": "period 3", "student": None, "period_days": None,
                       "team_count": None}, "Period 3's attendance is on the card.")
    status, _ = await bot.post(activity(connector.url, text="how is period 3 doing on attendance", aad=ALEX))
    assert status == 201
    assert [t["function"]["name"] for t in model.received[0]["tools"]].count("run_widget") == 1
    card = _cards(connector)[-1]
    assert card["body"][0]["text"] == "Attendance" and "PE 7 — Period 3" in card["body"][1]["text"]
    assert any(e["type"].startswith("Chart.") for e in card["body"])
    assert "Attendance rate" in _tool_result(model)["summary"]
    assert connector.messages()[-1]["text"] == "Period 3's attendance is on the card."
    async with demo_sessions() as s:
        vias = set((await s.execute(select(AuditLog.via).where(AuditLog.allowed.is_(True)))).scalars())
    assert vias == {"widget:attendance"}


async def test_a_teacher_asking_about_another_teachers_class_is_refused_and_audited(start, connector: FakeConnector, model: ScriptedOpenAI, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    bot = await start({"widget": "attendance", "class": "period 2", "student": None, "period_days": None,
                       "team_count": None}, "That class is not yours.")
    await bot.post(activity(connector.url, text="attendance for period 2", aad=ALEX))
    result = _tool_result(model)
    assert "not one of your classes" in result["error"] and "summary" not in result
    assert _cards(connector) == []
    async with demo_sessions() as s:
        refused = (await s.execute(select(AuditLog).where(AuditLog.allowed.is_(False)))).scalars().all()
    assert refused and all(r.via == "widget:attendance" and r.subject_type == "class" for r in refused)
