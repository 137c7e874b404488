"""The tools the agent may call, by name."""

from __future__ import annotations

from typing import Any

from tools.base import Tool
from tools.log_incident import log_incident
from tools.lookup_student import lookup_student
from tools.open_form import open_form
from tools.plan_lesson import plan_lesson
from tools.run_widget import run_widget
from tools.schedule_event import schedule_event
from tools.search_knowledge import search_knowledge

TOOLS: dict[str, Tool[Any]] = {
    t.name: t
    for t in (lookup_student, log_incident, plan_lesson, run_widget, search_knowledge, schedule_event, open_form)
}


def openai_specs() -> list[dict[str, Any]]:
    return [t.openai_spec() for t in TOOLS.values()]
