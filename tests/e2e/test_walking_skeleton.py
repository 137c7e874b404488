"""A teacher asks about a student in the real Teams emulator and gets an Adaptive Card from Postgres."""

from __future__ import annotations

from devtools.playground import Playground
from tests.support.playground_driver import OPEN_CHAT, drive


def test_a_teacher_looks_up_a_student_and_picks_between_two_jamies(playground: Playground, tmp_path) -> None:
    result = drive(
        playground,
        {
            "screenshotOnFailure": str(tmp_path / "failure.png"),
            "steps": [
                *OPEN_CHAT,
                {"send": "show me Zoe Muller"},
                {"waitForCard": {"contains": "Zoë Müller"}},
                {"send": "show me Jamie"},
                {"waitForText": {"contains": "Which one do you mean", "new": True}},
                {"waitForCard": {"contains": "Which Jamie?"}},
                {"click": "Jamie Ortiz"},
                {"waitForCard": {"contains": "Student #", "new": True}},
                {"screenshot": str(tmp_path / "profile.png")},
            ],
        },
    )
    assert result["ok"], result
    profile_cards = [c for c in result["cards"] if "Student #" in c and "Jamie Ortiz" in c]
    assert profile_cards, result["cards"]
    assert "Access to this record is logged." in profile_cards[-1]


def test_a_student_from_another_teachers_class_is_not_shown(playground: Playground, tmp_path) -> None:
    result = drive(
        playground,
        {
            "screenshotOnFailure": str(tmp_path / "failure.png"),
            "steps": [
                {"send": "show me Riley Novak"},
                {"waitForText": {"contains": "couldn't find a student called", "new": True}},
            ],
        },
    )
    assert result["ok"], result
    assert not any("Riley Novak" in c for c in result["cards"])
