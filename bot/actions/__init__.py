"""Card buttons and forms. A press arrives either as an ``adaptiveCard/action`` invoke (Action.Execute: the answer
replaces the card in place) or as a message whose ``value`` holds the data (Action.Submit fallback: the answer is
sent as a new message). Both carry ``{"action": name, ...inputs}`` and end here.

Each action runs with the caller's server-resolved identity; input is untrusted and validated by the same models as
the chat path. The model is not involved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.actions import emergency
from bot.actions.alert import acknowledge_alert, confirm_emergency, refresh_alert, start_from_alert
from bot.actions.attendance import cancel_attendance, save_attendance
from bot.actions.equipment import cancel_check, save_check
from bot.actions.event import cancel_event_form, list_events, open_event_form, remove_event, save_event
from bot.actions.export import EXPORT_ACTIONS
from bot.actions.fitness import cancel_fitness, save_fitness
from bot.actions.incident import cancel_incident, open_incident_form, save_incident
from bot.actions.knowledge import (
    ADD_VERB,
    CANCEL_VERB,
    KEEP_VERB,
    REMOVE_VERB,
    add_document,
    cancel_upload,
    keep_document,
    remove_document,
)
from bot.actions.lesson import (
    adjust_lesson,
    open_lesson,
    open_lesson_form,
    regenerate_lesson,
    request_lesson,
    save_lesson,
)
from bot.actions.message_home import cancel_message, send_message
from bot.actions.outcome import CardOutcome
from bot.actions.roster import ROSTER_ACTIONS
from bot.actions.skills import cancel_skills, save_skills
from bot.actions.student import lookup_student
from bot.actions.student_incidents import recent_incidents
from bot.cards.forms_menu import forms_menu_card
from domain.errors import DomainError
from tools.base import ToolDeps

UNKNOWN_ACTION = "That button isn't available any more. Type **help** to see what I can do."

Action = Callable[[dict[str, Any], ToolDeps], Awaitable[CardOutcome]]

ACTIONS: dict[str, Action] = {
    "lookup_student": lookup_student,
    "incident.form": open_incident_form,
    "incident.save": save_incident,
    "incident.cancel": cancel_incident,
    "incident.recent": recent_incidents,
    "attendance.save": save_attendance,
    "attendance.cancel": cancel_attendance,
    "fitness.save": save_fitness,
    "fitness.cancel": cancel_fitness,
    "equipment.save": save_check,
    "equipment.cancel": cancel_check,
    "skills.save": save_skills,
    "skills.cancel": cancel_skills,
    "alert.ack": acknowledge_alert,
    "alert.refresh": refresh_alert,
    "alert.emergency": confirm_emergency,
    "alert.emergency.start": start_from_alert,
    "emergency.all_here": emergency.all_here,
    "emergency.report": emergency.report,
    "emergency.with_me": emergency.with_me,
    "emergency.found": emergency.found,
    "emergency.all_clear": emergency.all_clear,
    "emergency.refresh": emergency.refresh,
    "lesson.form": open_lesson_form,
    "lesson.request": request_lesson,
    "lesson.save": save_lesson,
    "lesson.regenerate": regenerate_lesson,
    "lesson.adjust": adjust_lesson,
    "lesson.open": open_lesson,
    "event.form": open_event_form,
    "event.save": save_event,
    "event.cancel": cancel_event_form,
    "event.remove": remove_event,
    "event.list": list_events,
    ADD_VERB: add_document,
    CANCEL_VERB: cancel_upload,
    REMOVE_VERB: remove_document,
    KEEP_VERB: keep_document,
    **ROSTER_ACTIONS,
    "message_home.send": send_message,
    "message_home.cancel": cancel_message,
    **EXPORT_ACTIONS,
    "forms": lambda value, deps: _forms_menu(),
}


async def _forms_menu() -> CardOutcome:
    return CardOutcome(cards=[forms_menu_card(list(available_forms()))])


def available_forms() -> tuple[str, ...]:
    """The forms whose open action this deployment has, in menu order."""
    return tuple(kind for kind in ("incident", "lesson", "event") if f"{kind}.form" in ACTIONS)


async def handle(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    action = ACTIONS.get(str(value.get("action")))
    if action is None:
        return CardOutcome(text=UNKNOWN_ACTION)
    try:
        return await action(value, deps)
    except DomainError as exc:
        return CardOutcome(text=str(exc))


__all__ = ["ACTIONS", "CardOutcome", "available_forms", "handle"]
