"""In the real Teams emulator: an admin starts an evacuation drill for period 3 by typing it; Alex Wilber (period 3,
his chat open in a second Playground in front of the same bot) receives his class card and taps All here; the
admin's roll-up card, updated in place, shows his class accounted for."""

from __future__ import annotations

from pathlib import Path

from devtools.playground import Playground
from tests.support.playground_driver import drive_beside


def test_an_admin_starts_an_evacuation_drill_and_alex_marks_all_here(
    playground: Playground, admin_playground: Playground, bot_log: Path, tmp_path: Path
) -> None:
    teacher, admin = drive_beside(
        playground,
        [
            {"waitForCard": {"contains": "Evacuation drill — period 3", "timeoutMs": 60000}},
            {"screenshot": str(tmp_path / "teacher-card.png")},
            {"click": "All here"},
            {"waitForCard": {"contains": "all here at", "timeoutMs": 20000}},
        ],
        admin_playground,
        {
            "screenshotOnFailure": str(tmp_path / "admin-failure.png"),
            "steps": [
                {"waitForText": "I'm Faraday"},
                {"send": "evacuation drill for period 3"},
                {"waitForText": {"contains": "1 class(es) in session", "new": True, "timeoutMs": 20000}},
                {"waitForCard": {"contains": "Classes accounted for", "timeoutMs": 60000}},
                {"waitForCard": {"contains": "all here at", "timeoutMs": 60000}},
                {"screenshot": str(tmp_path / "admin-roll-up.png")},
            ],
        },
        folder=tmp_path, listener_name="teacher",
    )
    log_tail = bot_log.read_text()[-4000:] if bot_log.exists() else ""
    assert teacher["ok"], f"{teacher.get('error')}\nAlex's bot messages: {teacher.get('botMessages')}\n{log_tail}"
    assert admin["ok"], f"{admin.get('error')}\nadmin's bot messages: {admin.get('botMessages')}\n{log_tail}"
    roll_up = [c for c in admin["cards"] if "Classes accounted for" in c]
    assert roll_up and "Alex Wilber" in roll_up[-1] and "all here at" in roll_up[-1]
    assert "1 of 1" in roll_up[-1]
