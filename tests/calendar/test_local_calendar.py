"""Local mode on real Postgres: create once per key, list, cancel, the .ics parsed back, link expiry and access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from sqlalchemy import func, select

from domain.actor import Actor
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.events import EventService, validate_draft
from domain.models import AuditLog, CalendarEvent, Staff
from tests.support.calendar import CHICAGO, NOW, Clock


def draft(**changes: Any):
    values: dict[str, Any] = {"title": "Parent meeting", "start": datetime(2026, 11, 25, 15, 30, tzinfo=CHICAGO),
                              "duration_minutes": 30, "time_zone": "America/Chicago", "location": "PE office",
                              "description": "About the fitness plan"}
    return validate_draft(values | changes, NOW)


async def _megan_id(sessions: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(Staff.id).where(Staff.email == "meganb@example.com")))


async def _rows(sessions: Any) -> list[CalendarEvent]:
    async with sessions() as session:
        return list((await session.execute(select(CalendarEvent).order_by(CalendarEvent.id))).scalars())


async def test_an_event_is_saved_once_per_key_with_staff_attendees_and_an_audit_row(
    local_events: EventService, alex: Actor, demo_sessions: Any
) -> None:
    megan = await _megan_id(demo_sessions)
    key = local_events.new_key()
    first = await local_events.create(alex, draft(staff_ids=[megan]), key, via="test")
    again = await local_events.create(alex, draft(staff_ids=[megan]), key, via="test")
    assert first.created and not again.created and again.id == first.id
    rows = await _rows(demo_sessions)
    assert len(rows) == 1
    row = rows[0]
    assert (row.title, row.status, row.time_zone, row.attendees) == (
        "Parent meeting", "confirmed", "America/Chicago", ["meganb@example.com"])
    assert row.starts_at == datetime(2026, 11, 25, 21, 30, tzinfo=UTC)
    assert row.ends_at - row.starts_at == timedelta(minutes=30)
    assert first.ics_url and first.ics_url.startswith("https://faraday.test/calendar/")
    async with demo_sessions() as session:
        audits = (await session.execute(select(AuditLog.action, AuditLog.subject_id)
                                        .where(AuditLog.subject_type == "calendar_event"))).all()
    assert audits == [("calendar.create", row.id)]


async def test_another_teacher_cannot_reuse_a_key(local_events: EventService, alex: Actor, isaiah: Actor) -> None:
    key = local_events.new_key()
    await local_events.create(alex, draft(), key, via="test")
    with pytest.raises(NotAllowed):
        await local_events.create(isaiah, draft(), key, via="test")


async def test_staff_from_elsewhere_and_forged_keys_are_refused(local_events: EventService, alex: Actor,
                                                                demo_sessions: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        await local_events.create(alex, draft(staff_ids=[999_999]), local_events.new_key(), via="test")
    assert "staff" in caught.value.field_errors
    with pytest.raises(InvalidInput):
        await local_events.create(alex, draft(), "x' or 1 eq 1", via="test")
    assert await _rows(demo_sessions) == []


async def test_guardians_are_invited_only_for_own_students_and_the_read_is_audited(
    local_events: EventService, alex: Actor, isaiah: Actor, demo_sessions: Any
) -> None:
    roster = [sid for sid, _, _ in await _roster(demo_sessions, alex)]
    families = await local_events.families(alex, roster[:10])
    assert families, "the demo seed gives most students a guardian e-mail"
    student_id, label = families[0]
    assert label.endswith(")") and "@" not in label  # no e-mail addresses on a teacher's card
    saved = await local_events.create(alex, draft(guardian_student_ids=[student_id]), local_events.new_key(), via="test")
    assert saved.attendees and all("@" in a for a in saved.attendees)
    with pytest.raises(InvalidInput):
        await local_events.create(isaiah, draft(guardian_student_ids=[student_id]), local_events.new_key(), via="test")
    async with demo_sessions() as session:
        audits = (await session.execute(select(AuditLog.allowed).where(AuditLog.action == "calendar.invite_guardians")
                                        .order_by(AuditLog.id))).scalars().all()
    assert audits == [True, False]


async def _roster(sessions: Any, actor: Actor) -> list[tuple[int, str, int]]:
    from domain.students import StudentService

    return await StudentService(sessions).roster(actor)


async def test_today_and_this_week_list_confirmed_events_only(local_events: EventService, alex: Actor) -> None:
    today = await local_events.create(alex, draft(start=datetime(2026, 11, 24, 14, 0, tzinfo=CHICAGO)),
                                      local_events.new_key(), via="test")
    friday = await local_events.create(alex, draft(title="Fitness testing", start=datetime(2026, 11, 27, 9, 0, tzinfo=CHICAGO)),
                                       local_events.new_key(), via="test")
    await local_events.create(alex, draft(start=datetime(2026, 12, 2, 9, 0, tzinfo=CHICAGO)), local_events.new_key(), via="test")
    assert [b.event_id for b in await local_events.upcoming(alex, "today", NOW)] == [today.id]
    assert [b.event_id for b in await local_events.upcoming(alex, "week", NOW)] == [today.id, friday.id]
    cancelled = await local_events.cancel(alex, friday.id, via="test")
    assert cancelled.status == "cancelled" and cancelled.ics_url is None
    assert [b.event_id for b in await local_events.upcoming(alex, "week", NOW)] == [today.id]
    busy, note = await local_events.busy(alex, datetime(2026, 11, 24, 14, 15, tzinfo=CHICAGO),
                                         datetime(2026, 11, 24, 15, 0, tzinfo=CHICAGO))
    assert [b.title for b in busy] == ["Parent meeting"] and note is None


async def test_only_the_organiser_can_cancel(local_events: EventService, alex: Actor, isaiah: Actor) -> None:
    saved = await local_events.create(alex, draft(), local_events.new_key(), via="test")
    with pytest.raises(NotFound):
        await local_events.cancel(isaiah, saved.id, via="test")
    assert (await local_events.cancel(alex, saved.id, via="test")).created
    assert not (await local_events.cancel(alex, saved.id, via="test")).created  # a second press changes nothing


async def test_the_ics_file_parses_back_with_the_event_and_its_zone(local_events: EventService, alex: Actor,
                                                                      demo_sessions: Any) -> None:
    megan = await _megan_id(demo_sessions)
    saved = await local_events.create(alex, draft(staff_ids=[megan]), local_events.new_key(), via="test")
    token = saved.ics_url.rsplit("/", 1)[1].removesuffix(".ics")  # type: ignore[union-attr]
    body = await local_events.ics(token)
    assert body is not None
    cal = icalendar.Calendar.from_ical(body)
    event = next(iter(cal.walk("VEVENT")))
    assert str(event["SUMMARY"]) == "Parent meeting"
    assert event.decoded("DTSTART") == datetime(2026, 11, 25, 15, 30, tzinfo=CHICAGO)
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=30)
    assert str(event["LOCATION"]) == "PE office" and str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:alexw@example.com"
    assert [str(a) for a in event.get("ATTENDEE") if a] == ["mailto:meganb@example.com"] or \
        str(event["ATTENDEE"]) == "mailto:meganb@example.com"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/Chicago"]
    assert next(iter(event.walk("VALARM"))).decoded("TRIGGER") == timedelta(minutes=-15)


async def test_a_repeated_hour_start_is_written_in_utc_in_the_ics(local_events: EventService, alex: Actor) -> None:
    autumn_now = datetime(2026, 10, 20, 9, 0, tzinfo=CHICAGO)
    first = validate_draft({"title": "Night hike", "start": datetime(2026, 11, 1, 1, 30, tzinfo=CHICAGO),
                            "duration_minutes": 60, "time_zone": "America/Chicago"}, autumn_now)
    saved = await local_events.create(alex, first, local_events.new_key(), via="test")
    body = await local_events.ics(saved.ics_url.rsplit("/", 1)[1].removesuffix(".ics"))  # type: ignore[union-attr]
    event = next(iter(icalendar.Calendar.from_ical(body).walk("VEVENT")))
    assert event.decoded("DTSTART") == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 11, 1, 7, 30, tzinfo=UTC)


async def test_ics_links_expire_and_are_bound_to_their_event(local_events: EventService, alex: Actor,
                                                              link_clock: Clock) -> None:
    one = await local_events.create(alex, draft(), local_events.new_key(), via="test")
    two = await local_events.create(alex, draft(title="Other"), local_events.new_key(), via="test")
    token = one.ics_url.rsplit("/", 1)[1].removesuffix(".ics")  # type: ignore[union-attr]
    event_id, organizer, rest = token.split(".", 2)
    assert await local_events.ics(token) is not None
    assert await local_events.ics(f"{two.id}.{organizer}.{rest}") is None  # swapped event id: signature fails
    assert await local_events.ics(f"{event_id}.{int(organizer) + 1}.{rest}") is None  # another organiser
    assert await local_events.ics(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert await local_events.ics("1.2.3.garbage") is None
    other_secret = EventService(local_events._sessions, links=type(local_events._links)(
        b"another-secret-another-secret!!", timedelta(hours=1)))
    assert await other_secret.ics(token) is None
    link_clock.advance(timedelta(hours=71, minutes=59))
    assert await local_events.ics(token) is not None
    link_clock.advance(timedelta(minutes=2))
    assert await local_events.ics(token) is None


async def test_a_cancelled_event_link_stops_working(local_events: EventService, alex: Actor, demo_sessions: Any) -> None:
    saved = await local_events.create(alex, draft(), local_events.new_key(), via="test")
    token = saved.ics_url.rsplit("/", 1)[1].removesuffix(".ics")  # type: ignore[union-attr]
    await local_events.cancel(alex, saved.id, via="test")
    assert await local_events.ics(token) is None
    async with demo_sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CalendarEvent)) == 1
