"""The offline planner's replies are written for the user: a tool's ``message`` (written for the model: "shown to
the user", "ask the user which...") never reaches the user, whatever the tool and the result's status."""

from __future__ import annotations

import ast
import inspect
import json
from typing import Any

import pytest

from agent.offline.planner import _answer_from_tools
from tools.registry import TOOLS


def model_messages() -> list[tuple[str, str, str]]:
    """(tool name, status, the ``"message"``, with "Jamie" for the student asked about) of every result dict in the
    tools' sources."""
    found = []
    for spec in TOOLS.values():
        tree = ast.parse(inspect.getsource(inspect.getmodule(spec.run)))  # type: ignore[arg-type]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            fields = {k.value: v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)}
            if "message" not in fields or not isinstance(fields.get("status"), ast.Constant):
                continue
            value = fields["message"]
            parts = [value] if isinstance(value, ast.Constant) else list(getattr(value, "values", []))
            text = "".join(p.value if isinstance(p, ast.Constant) else "Jamie" for p in parts)  # {args.student}
            if parts:
                found.append((spec.name, str(fields["status"].value), text))  # type: ignore[attr-defined]
    return found


MESSAGES = model_messages()


def reply_for(tool: str, result: dict[str, Any]) -> str:
    """What the offline planner says after one call of ``tool`` that returned ``result``."""
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "c1", "type": "function", "function": {"name": tool, "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": json.dumps(result)},
    ]
    return _answer_from_tools(messages)  # what OfflinePlanner.complete answers after a tool step


def test_every_tool_with_a_model_message_is_covered() -> None:
    assert {"schedule_event", "log_incident", "plan_lesson", "lookup_student"} <= {name for name, _, _ in MESSAGES}


@pytest.mark.parametrize(("tool", "status", "message"), MESSAGES)
def test_a_message_written_for_the_model_never_reaches_the_user(tool: str, status: str, message: str) -> None:
    result: dict[str, Any] = {
        "status": status, "message": message, "query": "Jamie", "candidates": [],
        "student": {"name": "Jamie Ortiz", "grade": 7, "classes": []} if tool == "lookup_student" else "Jamie Ortiz",
        "start": "Tue Dec 8, 3:30 PM (America/Chicago)", "duration_minutes": 30, "conflicts": [],
        "sections": [], "passages": [], "units_for_grade": []}
    reply = reply_for(tool, result)
    assert reply.strip() and "the user" not in reply, reply
    assert message not in reply, reply


def test_a_proposed_event_is_described_for_the_user() -> None:
    reply = reply_for("schedule_event", {
        "status": "proposed", "start": "Tue Dec 8, 3:30 PM (America/Chicago)", "duration_minutes": 30,
        "conflicts": [{"title": "Staff meeting", "start": "Tue Dec 8, 3:00 PM", "end": "Tue Dec 8, 4:00 PM"}],
        "notes": [], "message": "A card with the event is shown to the user; it is created only when they press Save."})
    assert "Tue Dec 8, 3:30 PM" in reply and "Staff meeting" in reply and "**Save**" in reply
