"""Calendar reads (#24.4): "what's on my calendar tomorrow?" is planned as read_calendar (not a new event), a named
day ("on Thursday", "next Tuesday", "Dec 12", "12/12") as that day, and the tool lists the caller's events of that
span from the local calendar, or from Outlook through the fake Graph over TLS when configured, without writing
anything."""

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


# Labelled before the rule was written; NOW is Tuesday 24 Nov 2026. A named day is the coming one (as when scheduling:
# "next Tuesday" and "on Tuesday" said on a Tuesday are a week ahead), the past one after "last" / "was".
@pytest.mark.parametrize(("said", "span", "day"), [
    ("What's on my calendar tomorrow?", "tomorrow", None),
    ("whats on my schedule tomorrow", "tomorrow", None),
    ("Do I have any meetings this week?", "week", None),
    ("Show me my calendar", "today", None),
    ("Am I free this afternoon?", "today", None),
    ("what's on my calendar today?", "today", None),
    ("what do I have on my calendar on Friday?", "day", "2026-11-27"),
    ("What's on my calendar on Thursday?", "day", "2026-11-26"),
    ("Do I have any meetings next Tuesday?", "day", "2026-12-01"),
    ("am I free on Monday?", "day", "2026-11-30"),
    ("What's on my calendar Dec 12?", "day", "2026-12-12"),
    ("what's on my schedule 12/12", "day", "2026-12-12"),
    ("Do I have anything on December 3rd?", "day", "2026-12-03"),
    ("what was on my calendar last Friday?", "day", "2026-11-20"),
    ("What's on my calendar on Wednesday?", "tomorrow", None),  # the named day is tomorrow
    ("Do I have any events on Friday this week?", "day", "2026-11-27"),  # the day wins over the week
])
def test_calendar_questions_are_planned_as_reads(said: str, span: str, day: str | None) -> None:
    intent = classify(said, [], NOW)
    assert (intent.name, intent.arguments) == ("read_calendar", {"span": span, "day": day})


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


async def test_a_named_day_lists_only_that_days_local_events_and_the_card_names_the_day(
    local_events: EventService, alex: Actor, demo_sessions: Any,
) -> None:
    await local_events.create(alex, _draft("Staff meeting", 24, 15), local_events.new_key(), via="test")  # today
    await local_events.create(alex, _draft("Field trip briefing", 26, 8), local_events.new_key(), via="test")  # Thu
    await local_events.create(alex, _draft("Parent meeting", 27, 8), local_events.new_key(), via="test")  # Friday
    planned = classify("What's on my calendar on Thursday?", [], NOW)
    result = await read_calendar(planned.arguments, deps_for(alex, demo_sessions, local_events))
    assert not result.is_error, result.for_model
    assert [e["title"] for e in result.for_model["events"]] == ["Field trip briefing"]
    assert (result.for_model["span"], result.for_model["day"]) == ("day", "2026-11-26")
    [agenda] = result.display
    card = render_content(agenda)
    assert card is not None and card["body"][0]["text"] == "Events on Thursday, Nov 26"
    assert "Parent meeting" not in str(card) and "Staff meeting" not in str(card)


@pytest.mark.parametrize(("arguments", "error"), [
    ({"span": "day", "day": None}, "day: give the date the user named as YYYY-MM-DD"),
    ({"span": "day", "day": "Thursday"}, "day: give the date the user named as YYYY-MM-DD"),
    ({"span": "day", "day": "2031-01-01"}, "day: that date is more than a year away"),
])
async def test_a_day_that_is_missing_or_not_a_date_is_a_message_the_model_can_act_on(
    arguments: dict[str, Any], error: str, local_events: EventService, alex: Actor, demo_sessions: Any,
) -> None:
    result = await read_calendar(arguments, deps_for(alex, demo_sessions, local_events))
    assert result.is_error and result.for_model["error"].startswith(error)


async def test_outlook_mode_reads_a_named_day_from_graph_calendar_view(
    outlook_events: EventService, microsoft: FakeMicrosoft, alex: Actor, demo_sessions: Any,
) -> None:
    microsoft.add_existing(alex.aad_object_id, "Dec 12 tournament", datetime(2026, 12, 12, 9, 0, tzinfo=CHICAGO),
                           datetime(2026, 12, 12, 12, 0, tzinfo=CHICAGO))
    result = await read_calendar(classify("what's on my schedule 12/12", [], NOW).arguments,
                                 deps_for(alex, demo_sessions, outlook_events))
    assert [e["title"] for e in result.for_model["events"]] == ["Dec 12 tournament"]
    [view] = microsoft.graph_requests()
    assert (view.query["startDateTime"], view.query["endDateTime"]) == ("2026-12-12T00:00:00-06:00",
                                                                        "2026-12-13T00:00:00-06:00")


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
