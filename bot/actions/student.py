"""Student buttons: pick one of several matching students."""

from __future__ import annotations

from typing import Any

from agent.offline.answers import lookup_answer
from bot.actions.outcome import CardOutcome
from bot.cards.render import render_content
from tools.base import ToolDeps
from tools.registry import TOOLS


async def lookup_student(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    result = await TOOLS["lookup_student"]({"query": value.get("query"), "class": None, "details": []}, deps)
    cards = [c for c in (render_content(item) for item in result.display) if c is not None]
    return CardOutcome(text=lookup_answer(result.for_model), cards=cards)
