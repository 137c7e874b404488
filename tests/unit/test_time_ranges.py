"""Event time ranges and places the offline planner reads (issue #19)."""

from __future__ import annotations

from datetime import time

import pytest

from agent.offline.slots import location, range_minutes, time_range


@pytest.mark.parametrize(("text", "start", "minutes"), [
    ("lifting club thursday from 3 to 5", time(15, 0), 120),
    ("tryouts tomorrow from 3:30 until 5", time(15, 30), 90),
    ("staff meeting monday 7:30 to 8:15", time(7, 30), 45),
    ("open gym wednesday from 11 until noon", time(11, 0), 60),
    ("parent night dec 10 from 6 to 8pm", time(18, 0), 120),
    ("track meet next tuesday 2-6pm", time(14, 0), 240),
    ("swim meet saturday 8am to noon", time(8, 0), 240),
    ("field day dec 4 from 9 till 2", time(9, 0), 300),
])
def test_a_range_gives_the_start_and_the_length(text: str, start: time, minutes: int) -> None:
    span = time_range(text)
    assert span is not None and span[0] == start
    assert range_minutes(text) == minutes


@pytest.mark.parametrize("text", ["invasion games for grades 3-5", "make 4 teams", "split into 2 to 3 teams"])
def test_grade_bands_and_counts_are_not_time_ranges(text: str) -> None:
    assert time_range(text) is None


def test_places_include_rooms_and_offices() -> None:
    assert location("meeting in room 104 at 3") == "Room 104"
    assert location("staff meeting in the pe office") == "Pe Office"
    assert location("open gym in the main gym") == "Main Gym"
