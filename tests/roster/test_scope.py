"""The PE scope pattern: what it keeps and what it leaves out; a broken pattern is refused at start-up."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from domain.roster.scope import in_pe_scope
from domain.settings import Settings

PATTERN = re.compile(Settings().roster_pe_pattern, re.IGNORECASE)


@pytest.mark.parametrize("title", ["Physical Education 7", "PE 7 Period 3", "P.E. Grade 5", "Gym 701", "Health 1",
                                   "Driver's Ed", "Drivers Education", "Adapted PE", "Phys Ed 9", "Fitness Lab"])
def test_pe_department_classes_are_in_scope(title: str) -> None:
    assert in_pe_scope(PATTERN, title)


@pytest.mark.parametrize("title", ["Speech", "Specialized Math", "Peer Tutoring", "Spanish 2", "Biology 10",
                                   "Computer Science 101", "English I"])
def test_other_classes_are_not(title: str) -> None:
    assert not in_pe_scope(PATTERN, title)


def test_a_pattern_that_does_not_compile_is_refused_when_settings_are_read() -> None:
    with pytest.raises(ValidationError, match="ROSTER_PE_PATTERN is not a valid regular expression"):
        Settings(roster_pe_pattern="(unclosed")
