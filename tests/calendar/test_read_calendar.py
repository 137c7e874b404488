"""Calendar reads (#24.4): "what's on my calendar tomorrow?" is planned as read_calendar (not a new event), and the
tool lists the caller's events from the local calendar, or from Outlook through the fake Graph over TLS when
configured, without writing anything."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from agent.offline.intents import classify
from bot.cards.render import render_content
from devtools.fakes.graph import FakeMicrosoft
from domain.actor import Actor
from domain.events import EventService, validate_draft
from domain.models import CalendarEvent
from tests.support.calendar import CHICAGO, NOW, deps_for
from tools.read_calendar import Agenda, read_calendar


@pytest.mark.parametrize(("said", "span"), [
    ("What's on my calendar tomorrow?", "tomorrow"),
    ("whats on my schedule tomorrow", "tomorrow"),
    ("Do I have any meetings this week?", "week"),
    ("Show me my calendar", "today"),
    ("Am I free this afternoon?", "today"),
    ("what do I have on my calendar on Friday?", "week"),
])
def test_calendar_questions_are_planned_as_reads(said: str, span: str) -> None:
    intent = classify(said, [], NOW)
    assert (intent.name, intent.arguments) == ("read_calendar", {"span": span})


@pytest.mark.parametrize("said", [
    "Schedule a parent meeting tomorrow at 3pm",
    "Add a staff meeting to my calendar tomorrow at 3pm",
    "Put fitness testing on my calendar Friday at 9am",
    "What is the concussion protocol?",
])
def test_requests_to_create_and_other_questions_are_not_reads(said: str) -> None:
    assert classify(said, [], NOW).name != "read_calendar"


def _draft(title: str, day: int, hour: int) -> Any:
    return validate_draft({"title": title, "start": datetime(2026, 11, day, hour, 0, tzinfo=CHICAGO),
                           "duration_minutes": 45, "time_zone": "America/Chicago", "location": "PE office"}, NOW)


async def _count(sessions: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(CalendarEvent)) or 0)


async def test_tomorrow_lists_only_tomorrows_local_events_and_writes_nothing(
    local_events: EventService, alex: Actor, isaiah: Actor, demo_sessions: Any,
) -> None:
    await local_events.create(alex, _draft("Staff meeting", 24, 15), local_events.new_key(), via="test")  # today
    await local_events.create(alex, _draft("Parent meeting", 25, 8), local_events.new_key(), via="test")  # tomorrow
    await local_events.create(isaiah, _draft("Isaiah's own", 25, 9), local_events.new_key(), via="test")
    before = await _count(demo_sessions)

    result = await read_calendar({"span": "tomorrow"}, deps_for(alex, demo_sessions, local_events))
    assert not result.is_error, result.for_model
    assert [e["title"] for e in result.for_model["events"]] == ["Parent meeting"]
    [agenda] = result.display
    assert isinstance(agenda, Agenda) and agenda.span == "tomorrow"
    card = render_content(agenda)
    assert card is not None and card["body"][0]["text"] == "Tomorrow's events"
    assert "Parent meeting" in str(card) and "Staff meeting" not in str(card)
    assert await _count(demo_sessions) == before


async def test_outlook_mode_reads_tomorrow_from_graph_calendar_view(
    outlook_events: EventService, microsoft: FakeMicrosoft, alex: Actor, demo_sessions: Any,
) -> None:
    microsoft.add_existing(alex.aad_object_id, "Department meeting", datetime(2026, 11, 25, 15, 0, tzinfo=CHICAGO),
                           datetime(2026, 11, 25, 16, 0, tzinfo=CHICAGO))
    result = await read_calendar({"span": "tomorrow"}, deps_for(alex, demo_sessions, outlook_events))
    assert [e["title"] for e in result.for_model["events"]] == ["Department meeting"]
    [view] = microsoft.graph_requests()
    assert (view.method, view.path) == ("GET", f"/v1.0/users/{alex.aad_object_id}/calendarView")
    assert (view.query["startDateTime"], view.query["endDateTime"]) == ("2026-11-25T00:00:00-06:00",
                                                                        "2026-11-26T00:00:00-06:00")
    assert microsoft.graph_requests("POST") == []


async def test_a_graph_failure_is_a_clear_message(outlook_events: EventService, microsoft: FakeMicrosoft,
                                                  alex: Actor, demo_sessions: Any) -> None:
    microsoft.fail_next("GET", "calendarView", 403)
    result = await read_calendar({"span": "today"}, deps_for(alex, demo_sessions, outlook_events))
    assert result.is_error and result.for_model["error"].startswith("I couldn't read your calendar:")
