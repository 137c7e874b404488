"""In the real Teams emulator (issue #19): a teacher types an emergency in their own words and gets the district's
CPR/AED steps first, numbered as in the protocol, with the protocol cited; no question back about which student."""

from __future__ import annotations

from devtools.playground import Playground
from tests.support.playground_driver import OPEN_CHAT, drive

FIRST_STEP = "Check responsiveness: tap and shout."


def test_a_student_down_without_a_pulse_gets_the_cpr_and_aed_steps_with_the_citation(
    playground: Playground, tmp_path,
) -> None:
    result = drive(
        playground,
        {
            "screenshotOnFailure": str(tmp_path / "failure.png"),
            "steps": [
                *OPEN_CHAT,
                {"send": "a student dropped during the relay and has no pulse"},
                {"waitForText": {"contains": FIRST_STEP, "new": True, "timeoutMs": 30000}},
                {"screenshot": str(tmp_path / "cpr.png")},
            ],
        },
    )
    assert result["ok"], result
    answer = next(m for m in reversed(result["botMessages"]) if FIRST_STEP in m)
    assert "Sudden Cardiac Arrest, CPR and AED Response" in answer
    assert answer.index(FIRST_STEP) < answer.index("AED arrives")
    assert "When to Call 911" in answer
    assert "which student" not in answer.lower()
