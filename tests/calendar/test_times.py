"""Wall-clock times around daylight-saving changes in America/Chicago (2026-03-08 forward, 2026-11-01 back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calendar.times import day_bounds, end_of, parse_start, wall_clock
from domain.errors import InvalidInput
from domain.events import validate_draft

CHICAGO = ZoneInfo("America/Chicago")


def test_a_time_in_the_skipped_spring_hour_is_rejected_with_a_clear_sentence() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_start("2026-03-08T02:30", CHICAGO)
    assert "doesn't exist in America/Chicago" in str(caught.value)
    assert "clocks go forward" in str(caught.value)
    assert "start" in caught.value.field_errors


def test_a_time_in_the_repeated_autumn_hour_means_the_first_occurrence_and_says_so() -> None:
    start, note = parse_start("2026-11-01T01:30", CHICAGO)
    assert start.utcoffset() == timedelta(hours=-5)  # CDT, the first 1:30
    assert start.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert note is not None and "happens twice" in note and "CDT" in note


def test_an_explicit_offset_picks_the_second_occurrence() -> None:
    start, note = parse_start("2026-11-01T01:30-06:00", CHICAGO)
    assert start.astimezone(UTC) == datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    assert note is None


def test_durations_are_elapsed_time_across_the_autumn_change() -> None:
    start, _ = parse_start("2026-11-01T00:30", CHICAGO)
    end = end_of(start, 120)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(minutes=120)
    assert (end.hour, end.minute, end.tzname()) == (1, 30, "CST")  # wall clock shows only one hour later


def test_durations_are_elapsed_time_across_the_spring_change() -> None:
    start, _ = parse_start("2026-03-08T01:30", CHICAGO)
    end = end_of(start, 60)
    assert (end.hour, end.minute, end.tzname()) == (3, 30, "CDT")


def test_repeated_hour_times_go_to_external_calendars_in_utc_and_others_in_the_school_zone() -> None:
    first, _ = parse_start("2026-11-01T01:30", CHICAGO)
    assert wall_clock(first) == ("2026-11-01T06:30:00", "UTC")
    afternoon, _ = parse_start("2026-11-24T15:30", CHICAGO)
    assert wall_clock(afternoon) == ("2026-11-24T15:30:00", "America/Chicago")


def test_a_day_with_a_dst_change_is_25_hours_long() -> None:
    start, end = day_bounds(datetime(2026, 11, 1, 12, 0, tzinfo=CHICAGO), "today")
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)
    week_start, week_end = day_bounds(datetime(2026, 11, 25, 9, 0, tzinfo=CHICAGO), "week")
    assert (week_start.date().isoformat(), week_end.date().isoformat()) == ("2026-11-23", "2026-11-30")


@pytest.mark.parametrize("value", ["next tuesday", "2026-13-01T10:00", "", "2026-11-24"])
def test_bad_iso_values_are_refused_with_a_sentence(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_start(value, CHICAGO)
    assert "start" in caught.value.field_errors


def _draft(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {"title": "Fitness testing", "start": datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO),
                                 "duration_minutes": 60, "time_zone": "America/Chicago"}
    return values | changes


NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHICAGO)


def test_a_start_in_the_past_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_draft(_draft(start=NOW - timedelta(minutes=1)), NOW)
    assert caught.value.field_errors == {"start": "That time has already passed."}


@pytest.mark.parametrize("minutes", [0, 4, 481, 1000])
def test_durations_outside_5_to_480_minutes_are_refused(minutes: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_draft(_draft(duration_minutes=minutes), NOW)
    assert caught.value.field_errors == {"duration_minutes": "Between 5 and 480 minutes."}


def test_a_naive_start_or_unknown_zone_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_draft(_draft(start=datetime(2026, 11, 30, 9, 0)), NOW)
    assert "start" in caught.value.field_errors
    with pytest.raises(InvalidInput):
        validate_draft(_draft(time_zone="Mars/Olympus"), NOW)


def test_a_valid_draft_is_expressed_in_the_school_zone() -> None:
    draft = validate_draft(_draft(start=datetime(2026, 11, 30, 15, 0, tzinfo=UTC), duration_minutes=5), NOW)
    assert draft.start.tzinfo == CHICAGO and draft.start.hour == 9
    assert draft.end.astimezone(UTC) - draft.start.astimezone(UTC) == timedelta(minutes=5)
