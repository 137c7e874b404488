"""In the real Teams emulator: a teacher reports a serious incident by chat, checks the proposal card and saves
it; the admin's chat (a second Playground, same bot) receives the safety alert and acknowledges it."""

from __future__ import annotations

from scripts.playground import Playground
from tests.e2e.playground import drive


def test_a_teacher_saves_a_serious_incident_and_the_admin_acknowledges_the_alert(
    playground: Playground, admin_playground: Playground, tmp_path
) -> None:
    admin_opened = drive(admin_playground, {"steps": [{"waitForText": "I'm Faraday"}]})
    assert admin_opened["ok"], admin_opened  # Megan's chat reference is stored by her first visit

    teacher = drive(
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
    )
    assert teacher["ok"], teacher
    saved = [c for c in teacher["cards"] if "Reported by" in c and "Jamie Ortiz" in c]
    assert saved and "Serious" in saved[-1]

    admin = drive(
        admin_playground,
        {
            "screenshotOnFailure": str(tmp_path / "admin-failure.png"),
            "steps": [
                {"waitForCard": {"contains": "Serious incident", "timeoutMs": 30000}},
                {"screenshot": str(tmp_path / "alert.png")},
                {"click": "Acknowledge"},
                {"waitForCard": {"contains": "Acknowledged by Megan Bowen", "timeoutMs": 20000}},
            ],
        },
    )
    assert admin["ok"], admin
    alert = [c for c in admin["cards"] if "Serious incident" in c]
    assert alert and "Jamie Ortiz" in alert[-1] and "Alex Wilber" in alert[-1]
