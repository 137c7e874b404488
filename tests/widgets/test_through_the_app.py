"""run_widget through the real app over HTTP (real Postgres, Valkey, fake connector), with a scripted model."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agent.model import ModelReply, PlanningContext, ToolCall
from devtools.fakes.activities import ALEX, activity
from devtools.fakes.connector import FakeConnector
from domain.models import AuditLog
from tests.support.app_client import BotClient, bot_settings, start_bot
from tools.base import Services
from tools.registry import TOOLS

WIRED = "run_widget" in TOOLS and "widgets" in {f.name for f in dataclasses.fields(Services)}
pytestmark = pytest.mark.skipif(not WIRED, reason="wiring pending: Services.widgets and TOOLS['run_widget']")


class ScriptedModel:
    """Calls run_widget with the arguments given, then replies with the tool's summary (or its error)."""

    name = "scripted"

    def __init__(self, arguments: dict[str, Any]) -> None:
        self.arguments = arguments

    async def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], ctx: PlanningContext,
                       *more: Any, **options: Any) -> ModelReply:
        if messages[-1]["role"] == "tool":
            result = json.loads(messages[-1]["content"])
            return ModelReply(content=result.get("summary") or result.get("error"))
        return ModelReply(content=None, tool_calls=[ToolCall("call_1", "run_widget", json.dumps(self.arguments))])


def _clock(tz: str) -> datetime:
    return datetime.combine(date(2026, 11, 20), time(15), ZoneInfo(tz))


@pytest.fixture
async def start(demo_db_url: str, redis_url: str, connector: FakeConnector) -> AsyncIterator[Any]:
    clients: list[BotClient] = []

    async def _start(arguments: dict[str, Any]) -> BotClient:
        client = await start_bot(bot_settings(demo_db_url, redis_url), connector, backend=ScriptedModel(arguments),
                                 clock=_clock)
        clients.append(client)
        return client

    yield _start
    for client in clients:
        await client.close()
        await client.server.close()


def _cards(connector: FakeConnector) -> list[dict[str, Any]]:
    return [a["content"] for m in connector.messages() for a in (m.get("attachments") or [])
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]


async def test_a_teacher_asks_about_attendance_and_gets_a_widget_card(start, connector: FakeConnector, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    bot = await start({"widget": "attendance", "class": "period 3", "student": None, "period_days": None,
                       "team_count": None})
    status, _ = await bot.post(activity(connector.url, text="how is period 3 doing on attendance", aad=ALEX))
    assert status == 201
    card = _cards(connector)[-1]
    assert card["body"][0]["text"] == "Attendance" and "PE 7 — Period 3" in card["body"][1]["text"]
    assert any(e["type"].startswith("Chart.") for e in card["body"])
    assert "Attendance rate" in connector.messages()[-1]["text"]
    async with demo_sessions() as s:
        vias = set((await s.execute(select(AuditLog.via).where(AuditLog.allowed.is_(True)))).scalars())
    assert vias == {"widget:attendance"}


async def test_a_teacher_asking_about_another_teachers_class_is_refused_and_audited(start, connector: FakeConnector, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    bot = await start({"widget": "attendance", "class": "period 2", "student": None, "period_days": None,
                       "team_count": None})
    await bot.post(activity(connector.url, text="attendance for period 2", aad=ALEX))
    assert "not one of your classes" in connector.messages()[-1]["text"]
    assert _cards(connector) == []
    async with demo_sessions() as s:
        refused = (await s.execute(select(AuditLog).where(AuditLog.allowed.is_(False)))).scalars().all()
    assert refused and all(r.via == "widget:attendance" and r.subject_type == "class" for r in refused)
