"""RFC 5545 files for local-mode events, written with ``icalendar`` (VTIMEZONE included, reminder as a VALARM).

Times go out as local time with the school's TZID, except a time in the repeated hour after clocks go back: RFC 5545
§3.3.5 reads such a local time as its first occurrence, so those are written in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from domain.calendar.times import is_repeated

PRODID = "-//Faraday//PE department assistant//EN"


def event_ics(
    *,
    uid: str,
    title: str,
    start: datetime,
    end: datetime,
    time_zone: str,
    location: str | None,
    description: str | None,
    organizer: tuple[str | None, str],  # (email, name); no ORGANIZER line without an e-mail
    attendees: list[str],
    reminder_minutes: int,
    cancelled: bool = False,
    stamp: datetime | None = None,
) -> bytes:
    tz = ZoneInfo(time_zone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", (stamp or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", _for_ics(start, tz))
    event.add("dtend", _for_ics(end, tz))
    event.add("summary", title)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer_email, organizer_name = organizer
    if organizer_email:
        event["organizer"] = _address(organizer_email, organizer_name)
    for email in attendees:
        address = vCalAddress(f"mailto:{email}")
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        event.add("attendee", address, encode=False)
    if reminder_minutes > 0:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", timedelta(minutes=-reminder_minutes))
        event.add_component(alarm)
    cal.add_component(event)
    cal.add_missing_timezones()
    ical: bytes = cal.to_ical()
    return ical


def _for_ics(at: datetime, tz: ZoneInfo) -> datetime:
    local = at.astimezone(tz)
    return local.astimezone(UTC) if is_repeated(local.replace(tzinfo=None), tz) else local


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    return address
