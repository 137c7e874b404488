"""In the real Teams emulator: a teacher reports a serious incident by chat, checks the proposal card and saves
it; the admin, whose chat is open in a second Playground in front of the same bot, receives the safety alert as it
is sent and acknowledges it."""

from __future__ import annotations

from pathlib import Path

from devtools.playground import Playground
from tests.support.playground_driver import drive_beside


def test_a_teacher_saves_a_serious_incident_and_the_admin_acknowledges_the_alert(
    playground: Playground, admin_playground: Playground, bot_log: Path, tmp_path: Path
) -> None:
    admin, teacher = drive_beside(
        admin_playground,
        [
            {"waitForCard": {"contains": "Serious incident", "timeoutMs": 60000}},
            {"screenshot": str(tmp_path / "alert.png")},
            {"click": "Acknowledge"},
            {"waitForCard": {"contains": "Acknowledged by Megan Bowen", "timeoutMs": 20000}},
        ],
        playground,
        {
            "screenshotOnFailure": str(tmp_path / "teacher-failure.png"),
            "steps": [
                {"send": "Jamie Ortiz hit her head on the floor in basketball, she seems dazed, really bad"},
                {"waitForCard": {"contains": "Check and save this incident report", "new": True}},
                {"screenshot": str(tmp_path / "proposal.png")},
                {"click": "Save"},
                {"waitForCard": {"contains": "Reported by", "timeoutMs": 20000}},
            ],
        },
        folder=tmp_path, listener_name="admin",
    )
    assert teacher["ok"], teacher
    saved = [c for c in teacher["cards"] if "Reported by" in c and "Jamie Ortiz" in c]
    assert saved and "Serious" in saved[-1]
    assert admin["ok"], (f"{admin.get('error')}\nadmin's bot messages: {admin.get('botMessages')}\n"
                         f"bot log:\n{bot_log.read_text()[-4000:]}")
    alert = [c for c in admin["cards"] if "Serious incident" in c]
    assert alert and "Jamie Ortiz" in alert[-1] and "Alex Wilber" in alert[-1]
