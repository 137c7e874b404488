"""In the real Teams emulator: a teacher asks for a lesson plan and saves it."""

from __future__ import annotations

from devtools.playground import Playground
from tests.support.playground_driver import drive


def test_a_teacher_plans_a_lesson_and_saves_it(playground: Playground, tmp_path) -> None:
    result = drive(
        playground,
        {
            "screenshotOnFailure": str(tmp_path / "failure.png"),
            "steps": [
                {"send": "plan a 40 minute volleyball lesson for grade 4"},
                {"waitForCard": {"contains": "Warm", "new": True, "timeoutMs": 30000}},
                {"screenshot": str(tmp_path / "plan.png")},
                {"click": "Save"},
                {"waitForText": {"contains": "Saved", "timeoutMs": 20000}},
            ],
        },
    )
    assert result["ok"], result
    plan = [c for c in result["cards"] if "Warm" in c]
    assert plan and "40" in plan[-1]
