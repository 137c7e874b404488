"""The menu of forms (the "forms" command and the command menu)."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, heading, text

TITLES = {"incident": "Incident report", "lesson": "Lesson request", "event": "Event"}


def forms_menu_card(available: list[str]) -> dict[str, Any]:
    actions = [
        {"type": "Action.Execute", "title": TITLES[kind], "verb": f"{kind}.form", "data": {"action": f"{kind}.form"},
         "fallback": {"type": "Action.Submit", "title": TITLES[kind], "data": {"action": f"{kind}.form"}}}
        for kind in available
    ]
    return card([heading("Forms"), text("Pick a form to fill in. Nothing is saved until you submit it.")], actions)
