"""Card buttons and forms: a submit arrives as a message whose ``value`` is ``{"action": name, ...inputs}``.

Each action runs a tool directly, with the caller's server-resolved identity; the model is not involved, and the
input is untrusted: the tool's args model validates it like any model-proposed call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.agent.loop import AgentReply
from bot.agent.offline.answers import lookup_answer
from tools.base import ToolDeps
from tools.registry import TOOLS

UNKNOWN_ACTION = "That button isn't available any more. Type **help** to see what I can do."

Handler = Callable[[dict[str, Any], ToolDeps], Awaitable[AgentReply]]


async def _lookup_student(value: dict[str, Any], deps: ToolDeps) -> AgentReply:
    result = await TOOLS["lookup_student"]({"query": value.get("query"), "class": None, "details": []}, deps)
    return AgentReply(text=lookup_answer(result.for_model), display=result.display, model_written=False)


ACTIONS: dict[str, Handler] = {"lookup_student": _lookup_student}


async def handle(value: dict[str, Any], deps: ToolDeps) -> AgentReply:
    action = ACTIONS.get(str(value.get("action")))
    if action is None:
        return AgentReply(text=UNKNOWN_ACTION, model_written=False)
    return await action(value, deps)
