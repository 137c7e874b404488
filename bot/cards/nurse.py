"""*Notify nurse*: the sender's confirmation card (nothing is sent before Send) and the card the nurse gets."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, escape, heading, submit, text
from domain.nurse import NOTE_MAX, NurseNotice

SEND = "nurse.send"


def nurse_request_card(key: str, nurses: int, note: str = "", error: str | None = None) -> dict[str, Any]:
    who = "the school nurse" if nurses == 1 else f"the school's {nurses} nurses"
    body: list[dict[str, Any]] = [
        heading("Notify the nurse"),
        text(f"This goes to {who} in Teams when you press Send, with your name."),
        {"type": "Input.Text", "id": "note", "label": "Where are you, and what happened?", "isRequired": True,
         "maxLength": NOTE_MAX, "isMultiline": True, "value": note,
         "placeholder": "e.g. Gym 2: a student rolled an ankle, ice on, can't bear weight",
         "errorMessage": "Say where you are and what happened."},
    ]
    if error:
        body.append({"type": "TextBlock", "text": escape(error), "color": "Attention", "wrap": True})
    return card(body, [submit("Send to the nurse", SEND, key=key)])


def nurse_notice_card(notice: NurseNotice) -> dict[str, Any]:
    return card([heading(f"{notice.requester} asks for the nurse"), text(notice.note)])


def nurse_preview(notice: NurseNotice) -> str:
    """The notification line (the note may name a student: not in the preview)."""
    return f"{notice.requester} asks for the nurse"
