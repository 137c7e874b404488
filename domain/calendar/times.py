"""Wall-clock times in a school's time zone, daylight-saving aware.

Decisions (tested in tests/calendar/test_times.py):
- A wall-clock time that does not exist (the skipped hour when clocks go forward, e.g. 02:30 on 2026-03-08 in
  America/Chicago) is rejected with a sentence saying so.
- A wall-clock time that happens twice (the repeated hour when clocks go back, e.g. 01:30 on 2026-11-01) means the
  first occurrence (daylight time), as RFC 5545 §3.3.5 and Outlook read it; the proposal says so. An ISO value with an
  explicit offset (``-06:00``) picks the second one.
- Durations are elapsed time: an event's end is its start plus the minutes, in absolute time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import InvalidInput


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Unknown time zone {name!r}.", {"time_zone": "Unknown time zone."}) from exc


def exists(naive: datetime, tz: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def is_repeated(naive: datetime, tz: ZoneInfo) -> bool:
    """True when this wall-clock time happens twice (the hour repeated when clocks go back)."""
    return naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset()


def describe(at: datetime) -> str:
    """'Sun 8 Mar 2026, 2:30 AM' (no leading zeros, platform independent)."""
    hour = at.hour % 12 or 12
    return f"{at:%a} {at.day} {at:%b %Y}, {hour}:{at:%M} {'AM' if at.hour < 12 else 'PM'}"


def localize(naive: datetime, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """A naive wall-clock time in ``tz`` → an aware datetime, plus a note when the time was ambiguous.
    Raises ``InvalidInput`` (field ``start``) when the time does not exist."""
    if not exists(naive, tz):
        raise InvalidInput(
            f"{describe(naive)} doesn't exist in {tz.key}: the clocks go forward an hour that night. "
            "Pick another time.",
            {"start": "That time doesn't exist (clocks go forward). Pick another time."},
        )
    aware = naive.replace(tzinfo=tz, fold=0)
    if is_repeated(naive, tz):
        return aware, (
            f"{describe(naive)} happens twice in {tz.key} (clocks go back); "
            f"using the first one ({aware.tzname()})."
        )
    return aware, None


def parse_start(value: str, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """An ISO 8601 date-time from a model or a user. Without an offset it is the school's local time."""
    text = (value or "").strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError as exc:
        raise InvalidInput(
            f"start must be an ISO 8601 date-time such as 2026-11-24T15:30, not {text[:40]!r}.",
            {"start": "Not a valid date and time."},
        ) from exc
    if len(text) <= 10:  # a date alone is not a start time
        raise InvalidInput("start needs a time of day, e.g. 2026-11-24T15:30.", {"start": "Give a time of day."})
    if parsed.tzinfo is None:
        return localize(parsed, tz)
    return parsed.astimezone(tz), None


def combine(day: date, at: time, tz: ZoneInfo) -> tuple[datetime, str | None]:
    return localize(datetime.combine(day, at), tz)


def end_of(start: datetime, minutes: int) -> datetime:
    """Elapsed-time end, expressed in the start's zone (correct across a DST change)."""
    tz = start.tzinfo
    return (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(tz)


def wall_clock(at: datetime) -> tuple[str, str]:
    """(dateTime, timeZone) for an external calendar: local wall-clock time with the zone's name, except a time in
    the repeated hour, which goes out in UTC so no reader can take the wrong occurrence."""
    tz = at.tzinfo
    if isinstance(tz, ZoneInfo) and is_repeated(at.replace(tzinfo=None), tz):
        return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds"), "UTC"
    name = tz.key if isinstance(tz, ZoneInfo) else "UTC"
    local = at if isinstance(tz, ZoneInfo) else at.astimezone(UTC)
    return local.replace(tzinfo=None).isoformat(timespec="seconds"), name


def day_bounds(now: datetime, span: str, day: date | None = None) -> tuple[datetime, datetime]:
    """[start, end) of 'today', 'tomorrow', 'week' (Monday to Monday) or 'day' (``day``, one named date) in
    ``now``'s zone, DST aware."""
    tz = now.tzinfo
    if span == "day":
        if day is None:
            raise ValueError("span 'day' needs the day")
        first, last = day, day + timedelta(days=1)
    elif span in ("today", "tomorrow"):
        first = now.date() + timedelta(days=1 if span == "tomorrow" else 0)
        last = first + timedelta(days=1)
    else:
        first = now.date() - timedelta(days=now.weekday())
        last = first + timedelta(days=7)
    return datetime.combine(first, time(), tz), datetime.combine(last, time(), tz)
