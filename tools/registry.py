"""The tools the agent may call, by name."""

from __future__ import annotations

from typing import Any

from tools.base import Tool
from tools.check_equipment import check_equipment
from tools.export_data import export_data
from tools.log_incident import log_incident
from tools.lookup_student import lookup_student
from tools.message_home import message_home
from tools.open_form import open_form
from tools.plan_lesson import plan_lesson
from tools.read_calendar import read_calendar
from tools.record_fitness import record_fitness
from tools.record_skills import record_skills
from tools.run_widget import run_widget
from tools.schedule_event import schedule_event
from tools.search_knowledge import search_knowledge
from tools.take_attendance import take_attendance

TOOLS: dict[str, Tool[Any]] = {
    t.name: t
    for t in (lookup_student, log_incident, plan_lesson, run_widget, search_knowledge, schedule_event, open_form,
              take_attendance, record_fitness, record_skills, check_equipment, message_home, export_data,
              read_calendar)
}


def openai_specs() -> list[dict[str, Any]]:
    return [t.openai_spec() for t in TOOLS.values()]


# After a step's tools ran, the model is offered only what can follow them (plus the safety pair: a protocol answer
# and an incident report can follow anything). Every call carries the offered schemas, so this keeps a follow-up call
# from paying for all of them again (bench/safety.py measures the input tokens).
SAFETY_PAIR = frozenset({"search_knowledge", "log_incident"})
FOLLOW_UPS: dict[str, frozenset[str]] = {
    "lookup_student": frozenset({"lookup_student", "run_widget", "schedule_event", "message_home"}),
    "run_widget": frozenset({"run_widget", "lookup_student", "export_data"}),
    "export_data": frozenset({"export_data", "run_widget"}),
    "plan_lesson": frozenset({"plan_lesson", "schedule_event"}),
    "schedule_event": frozenset({"schedule_event", "lookup_student"}),
    "read_calendar": frozenset({"read_calendar", "schedule_event"}),
    "open_form": frozenset({"open_form"}),
    "message_home": frozenset({"message_home"}),
}


def follow_up_tools(called: set[str]) -> set[str]:
    """The tool names offered on a step after tools with these names ran in the same turn."""
    names = set(SAFETY_PAIR) | called
    for name in called:
        names |= FOLLOW_UPS.get(name, frozenset())
    return names
