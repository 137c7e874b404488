"""Outlook mode: the real msal and aiohttp against the fake identity platform and Graph over TLS; real Postgres."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from devtools.fakes.graph import FakeMicrosoft
from domain.actor import Actor
from domain.calendar.backend import CalendarUnavailable
from domain.calendar.graph import KEY_PROPERTY, GraphCalendar
from domain.events import EventService, validate_draft
from domain.models import CalendarEvent, Staff
from tests.support.calendar import CHICAGO, NOW, graph_config


def draft(**changes: Any):
    values: dict[str, Any] = {"title": "Parent meeting", "start": datetime(2026, 11, 25, 15, 30, tzinfo=CHICAGO),
                              "duration_minutes": 45, "time_zone": "America/Chicago", "location": "PE office",
                              "description": "Fitness plan", "reminder_minutes": 15}
    return validate_draft(values | changes, NOW)


async def _rows(sessions: Any) -> list[CalendarEvent]:
    async with sessions() as session:
        return list((await session.execute(select(CalendarEvent))).scalars())


async def test_create_posts_the_exact_event_to_the_teachers_calendar_once(
    outlook_events: EventService, microsoft: FakeMicrosoft, alex: Actor, demo_sessions: Any
) -> None:
    async with demo_sessions() as session:
        megan = await session.scalar(select(Staff.id).where(Staff.email == "meganb@example.com"))
    key = outlook_events.new_key()
    saved = await outlook_events.create(alex, draft(staff_ids=[megan]), key, via="test")
    assert saved.created and saved.mode == "outlook" and saved.ics_url is None

    lookup, post = microsoft.graph_requests()
    assert (lookup.method, lookup.path) == ("GET", f"/v1.0/users/{alex.aad_object_id}/events")
    assert lookup.query["$filter"] == f"singleValueExtendedProperties/Any(ep: ep/id eq '{KEY_PROPERTY}' and ep/value eq '{key}')"
    assert (post.method, post.path) == ("POST", f"/v1.0/users/{alex.aad_object_id}/events")
    assert post.json == {
        "subject": "Parent meeting",
        "body": {"contentType": "text", "content": "Fitness plan"},
        "start": {"dateTime": "2026-11-25T15:30:00", "timeZone": "America/Chicago"},
        "end": {"dateTime": "2026-11-25T16:15:00", "timeZone": "America/Chicago"},
        "location": {"displayName": "PE office"},
        "attendees": [{"emailAddress": {"address": "meganb@example.com", "name": "Megan Bowen"}, "type": "required"}],
        "isReminderOn": True,
        "reminderMinutesBeforeStart": 15,
        "transactionId": key,
        "singleValueExtendedProperties": [{"id": KEY_PROPERTY, "value": key}],
    }
    assert post.headers["Authorization"].startswith("Bearer token-")
    assert post.headers["Content-Type"].startswith("application/json")
    assert post.headers["Prefer"] == 'outlook.timezone="America/Chicago"'
    [row] = await _rows(demo_sessions)
    assert (row.status, row.graph_event_id, row.idempotency_key) == ("confirmed", saved_id(microsoft), key)

    again = await outlook_events.create(alex, draft(staff_ids=[megan]), key, via="test")
    assert not again.created and len(microsoft.graph_requests("POST")) == 1


def saved_id(fake: FakeMicrosoft) -> str:
    [event] = [e for e in fake.events.values() if not e["id"].startswith("existing-")]
    return str(event["id"])


async def test_the_token_is_fetched_once_for_many_calls(outlook_events: EventService, microsoft: FakeMicrosoft,
                                                        alex: Actor) -> None:
    for _ in range(3):
        await outlook_events.create(alex, draft(), outlook_events.new_key(), via="test")
    await outlook_events.upcoming(alex, "week", NOW)
    assert len(microsoft.graph_requests()) == 7
    [token_request] = microsoft.token_requests()
    assert token_request.form["grant_type"] == "client_credentials"
    assert token_request.form["scope"] == f"{microsoft.url}/.default"
    assert {r.headers["Authorization"] for r in microsoft.graph_requests()} == {"Bearer token-1"}


async def test_listing_uses_calendar_view_in_the_school_zone(outlook_events: EventService, microsoft: FakeMicrosoft,
                                                             alex: Actor) -> None:
    microsoft.add_existing(alex.aad_object_id, "Staff meeting", datetime(2026, 11, 26, 15, 0, tzinfo=CHICAGO),
                           datetime(2026, 11, 26, 16, 0, tzinfo=CHICAGO))
    items = await outlook_events.upcoming(alex, "week", NOW)
    [view] = microsoft.graph_requests("GET")
    assert view.path == f"/v1.0/users/{alex.aad_object_id}/calendarView"
    assert view.query["startDateTime"] == "2026-11-23T00:00:00-06:00"
    assert view.query["endDateTime"] == "2026-11-30T00:00:00-06:00"
    assert view.headers["Prefer"] == 'outlook.timezone="America/Chicago"'
    assert [(i.title, i.start, i.location) for i in items] == [
        ("Staff meeting", datetime(2026, 11, 26, 15, 0, tzinfo=CHICAGO), "Gym")]


async def test_conflicts_come_from_outlook(outlook_events: EventService, microsoft: FakeMicrosoft, alex: Actor) -> None:
    microsoft.add_existing(alex.aad_object_id, "Staff meeting", datetime(2026, 11, 25, 15, 0, tzinfo=CHICAGO),
                           datetime(2026, 11, 25, 16, 0, tzinfo=CHICAGO))
    busy, note = await outlook_events.busy(alex, datetime(2026, 11, 25, 15, 30, tzinfo=CHICAGO),
                                           datetime(2026, 11, 25, 16, 15, tzinfo=CHICAGO))
    assert [b.title for b in busy] == ["Staff meeting"] and note is None


async def test_cancel_deletes_the_outlook_event(outlook_events: EventService, microsoft: FakeMicrosoft, alex: Actor,
                                                demo_sessions: Any) -> None:
    saved = await outlook_events.create(alex, draft(), outlook_events.new_key(), via="test")
    graph_id = saved_id(microsoft)
    cancelled = await outlook_events.cancel(alex, saved.id, via="test")
    assert cancelled.status == "cancelled"
    [delete] = microsoft.graph_requests("DELETE")
    assert delete.path == f"/v1.0/users/{alex.aad_object_id}/events/{graph_id}"
    assert microsoft.events_of(alex.aad_object_id) == []
    assert [r.status for r in await _rows(demo_sessions)] == ["cancelled"]


async def test_a_failed_delete_leaves_the_event_confirmed(outlook_events: EventService, microsoft: FakeMicrosoft,
                                                          alex: Actor, demo_sessions: Any) -> None:
    saved = await outlook_events.create(alex, draft(), outlook_events.new_key(), via="test")
    microsoft.fail_next("DELETE", "/events/", 403, code="ErrorAccessDenied")
    with pytest.raises(CalendarUnavailable, match=r"Calendars\.ReadWrite"):
        await outlook_events.cancel(alex, saved.id, via="test")
    assert [r.status for r in await _rows(demo_sessions)] == ["confirmed"]
    assert len(microsoft.events_of(alex.aad_object_id)) == 1


@pytest.mark.parametrize(
    ("status", "code", "sentence"),
    [
        (401, "InvalidAuthenticationToken", "Calendars.ReadWrite"),
        (403, "ErrorAccessDenied", "administrator must grant"),
        (429, "ApplicationThrottled", "busy right now"),
        (500, "ErrorInternalServerError", "problem on its side (error 500)"),
        (503, "ServiceUnavailable", "problem on its side (error 503)"),
    ],
)
async def test_graph_errors_give_a_sentence_and_leave_nothing_behind(
    outlook_events: EventService, microsoft: FakeMicrosoft, alex: Actor, demo_sessions: Any,
    status: int, code: str, sentence: str,
) -> None:
    microsoft.fail_next("POST", "/events", status, count=5, code=code, retry_after="30" if status == 429 else None)
    with pytest.raises(CalendarUnavailable) as caught:
        await outlook_events.create(alex, draft(), outlook_events.new_key(), via="test")
    assert sentence in str(caught.value) and "Nothing was added to your calendar." in str(caught.value)
    assert await _rows(demo_sessions) == []
    assert microsoft.events_of(alex.aad_object_id) == []


async def test_a_missing_mailbox_is_explained(outlook_events: EventService, microsoft: FakeMicrosoft, isaiah: Actor,
                                              demo_sessions: Any) -> None:
    with pytest.raises(CalendarUnavailable, match="couldn't find an Outlook mailbox"):
        await outlook_events.create(isaiah, draft(), outlook_events.new_key(), via="test")
    assert await _rows(demo_sessions) == []


async def test_refused_app_credentials_are_explained(outlook_events: EventService, microsoft: FakeMicrosoft,
                                                     alex: Actor, demo_sessions: Any) -> None:
    microsoft.refuse_credentials = True
    with pytest.raises(CalendarUnavailable, match="couldn't sign in to Microsoft 365"):
        await outlook_events.create(alex, draft(), outlook_events.new_key(), via="test")
    assert await _rows(demo_sessions) == [] and microsoft.graph_requests() == []


async def test_429_with_a_short_retry_after_is_honoured(outlook_events: EventService, microsoft: FakeMicrosoft,
                                                        alex: Actor) -> None:
    microsoft.fail_next("POST", "/events", 429, count=1, retry_after="0.2")
    loop = asyncio.get_running_loop()
    started = loop.time()
    saved = await outlook_events.create(alex, draft(), outlook_events.new_key(), via="test")
    assert saved.created and loop.time() - started >= 0.2
    assert len(microsoft.graph_requests("POST")) == 2 and len(microsoft.events_of(alex.aad_object_id)) == 1


async def test_a_timed_out_create_is_found_again_instead_of_posted_twice(
    demo_sessions: Any, microsoft: FakeMicrosoft, alex: Actor
) -> None:
    service = EventService(demo_sessions, outlook=GraphCalendar(graph_config(microsoft, timeout_s=0.5)))
    try:
        key = service.new_key()
        microsoft.fail_next("POST", "/events", 0, delay=1.0)  # Graph creates it but answers too late
        microsoft.fail_next("GET", "/events", 503, count=3)  # and the look-up right after fails too
        with pytest.raises(CalendarUnavailable, match="Nothing was added"):
            await service.create(alex, draft(), key, via="test")
        assert await _rows(demo_sessions) == []  # no half-created row
        saved = await service.create(alex, draft(), key, via="test")  # the teacher presses Save again
        assert saved.created
        assert len(microsoft.graph_requests("POST")) == 1
        assert len(microsoft.events_of(alex.aad_object_id)) == 1
        [row] = await _rows(demo_sessions)
        assert row.graph_event_id == saved_id(microsoft)
    finally:
        await service.close()


async def test_a_timed_out_create_that_exists_is_confirmed_at_once(demo_sessions: Any, microsoft: FakeMicrosoft,
                                                                    alex: Actor) -> None:
    service = EventService(demo_sessions, outlook=GraphCalendar(graph_config(microsoft, timeout_s=0.5)))
    try:
        microsoft.fail_next("POST", "/events", 0, delay=1.0)
        saved = await service.create(alex, draft(), service.new_key(), via="test")
        assert saved.created and len(microsoft.events_of(alex.aad_object_id)) == 1
    finally:
        await service.close()


async def test_a_repeated_hour_start_is_sent_in_utc(outlook_events: EventService, microsoft: FakeMicrosoft,
                                                     alex: Actor) -> None:
    night = validate_draft({"title": "Night hike", "start": datetime(2026, 11, 1, 1, 30, tzinfo=CHICAGO),
                            "duration_minutes": 90, "time_zone": "America/Chicago"},
                           datetime(2026, 10, 20, 9, 0, tzinfo=CHICAGO))
    await outlook_events.create(alex, night, outlook_events.new_key(), via="test")
    [post] = microsoft.graph_requests("POST")
    assert post.json["start"] == {"dateTime": "2026-11-01T06:30:00", "timeZone": "UTC"}
    assert post.json["end"] == {"dateTime": "2026-11-01T02:00:00", "timeZone": "America/Chicago"}
