"""The menu of forms (the "forms" command and the command menu)."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, heading, text
from bot.cards.inputs import execute

TITLES = {"incident": "Incident report", "lesson": "Lesson request", "event": "Event"}


def forms_menu_card(available: list[str]) -> dict[str, Any]:
    actions = [execute(TITLES[kind], f"{kind}.form", {}, inputs="none") for kind in available]
    return card([heading("Forms"), text("Pick a form to fill in. Nothing is saved until you submit it.")], actions)
