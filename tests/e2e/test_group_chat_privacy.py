"""In the real Teams emulator: a teacher @mentions Faraday in a group chat to ask about a student. The group chat
shows only the neutral line; the student's profile arrives in the teacher's personal chat with Faraday."""

from __future__ import annotations

from devtools.playground import Playground
from tests.support.playground_driver import OPEN_CHAT, drive

NEUTRAL = "I've sent you the answer in our private chat."


def test_a_question_about_a_student_in_a_group_chat_is_answered_in_the_personal_chat(
        playground: Playground, tmp_path) -> None:
    result = drive(
        playground,
        {
            "screenshotOnFailure": str(tmp_path / "failure.png"),
            "steps": [
                *OPEN_CHAT,  # the personal chat is open: Faraday knows where to reach Alex
                {"openChat": "Group Chat"},
                {"mention": "show me Zoe Muller"},
                {"waitForText": {"contains": NEUTRAL, "new": True}},
                {"expectNoText": {"contains": "Müller", "withinMs": 3000}},
                {"screenshot": str(tmp_path / "group-chat.png")},
                {"openChat": "Personal Chat"},
                {"waitForCard": {"contains": "Zoë Müller"}},
                {"screenshot": str(tmp_path / "personal-chat.png")},
            ],
        },
    )
    assert result["ok"], result
    assert any("Zoë Müller" in c and "Student #" in c for c in result["cards"]), result["cards"]
