"""Turn the typed objects tools return (``ToolResult.display``) into card attachments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.cards.attendance_form import AttendanceFormState, attendance_form_card
from bot.cards.elements import attachment
from bot.cards.equipment_check import CheckFormState, equipment_check_card
from bot.cards.event_form import EventFormState, event_form_card
from bot.cards.event_saved import event_list_card
from bot.cards.export_ready import export_confirm_card, export_ready_card
from bot.cards.fitness_form import FitnessFormState, fitness_form_card
from bot.cards.forms_menu import forms_menu_card
from bot.cards.incident_form import IncidentFormState, incident_form_card
from bot.cards.lesson_form import LessonFormState, lesson_form_card
from bot.cards.lesson_plan import lesson_plan_card
from bot.cards.message_home import message_draft_card
from bot.cards.skills_form import SkillFormState, skills_form_card
from bot.cards.student_choice import student_choice_card
from bot.cards.student_profile import student_profile_card
from bot.cards.widgets import widget_card
from domain.events import EventProposal
from domain.exports import ExportPending, ExportReady
from domain.incidents import IncidentProposal
from domain.lessons import LessonPlanResult
from domain.messages_home.service import MessageDraft
from domain.records.attendance import AttendanceSheet
from domain.records.equipment import CheckSheet
from domain.records.fitness import FitnessSheet
from domain.records.skills import SkillSheet
from domain.students import StudentLookup, StudentProfile
from domain.widgets import WidgetResult
from tools.open_form import BlankForm
from tools.read_calendar import Agenda


@dataclass(frozen=True, slots=True)
class RenderContext:
    roster: list[tuple[int, str, int]] = field(default_factory=list)  # students the caller may pick
    forms: tuple[str, ...] = ("incident",)  # forms this deployment offers
    time_zone: str = "UTC"  # the caller's (expiry times on export cards)


def needs_roster(item: Any) -> bool:
    return isinstance(item, IncidentProposal) or (isinstance(item, BlankForm) and item.kind == "incident")


def render_content(item: Any, ctx: RenderContext | None = None) -> dict[str, Any] | None:
    """The card for one typed tool result, or None when it has no card."""
    ctx = ctx or RenderContext()
    if isinstance(item, StudentProfile):
        return student_profile_card(item)
    if isinstance(item, StudentLookup) and item.status == "ambiguous":
        return student_choice_card(item)
    if isinstance(item, IncidentProposal):
        return incident_form_card(IncidentFormState.from_proposal(item, ctx.roster))
    if isinstance(item, LessonPlanResult):
        return lesson_plan_card(item)
    if isinstance(item, WidgetResult):
        return widget_card(item)
    if isinstance(item, EventProposal):
        return event_form_card(EventFormState.from_proposal(item))
    if isinstance(item, BlankForm):
        return _blank_form(item, ctx)
    if isinstance(item, AttendanceSheet):
        return attendance_form_card(AttendanceFormState.from_sheet(item))
    if isinstance(item, FitnessSheet):
        return fitness_form_card(FitnessFormState.from_sheet(item))
    if isinstance(item, CheckSheet):
        return equipment_check_card(CheckFormState.from_sheet(item))
    if isinstance(item, SkillSheet):
        return skills_form_card(SkillFormState.from_sheet(item))
    if isinstance(item, MessageDraft):
        return message_draft_card(item)
    if isinstance(item, ExportReady):
        return export_ready_card(item, ctx.time_zone)
    if isinstance(item, ExportPending):
        return export_confirm_card(item)
    if isinstance(item, Agenda):
        return event_list_card(item.span, list(item.items), item.day)
    return None


def render(item: Any, ctx: RenderContext | None = None) -> dict[str, Any] | None:
    content = render_content(item, ctx)
    return attachment(content) if content is not None else None


def _blank_form(form: BlankForm, ctx: RenderContext) -> dict[str, Any]:
    if form.kind == "incident":
        values = {"date": form.now.date().isoformat(), "time": form.now.strftime("%H:%M")}
        return incident_form_card(IncidentFormState(key=form.key, roster=ctx.roster, values=values))
    if form.kind == "lesson":
        return lesson_form_card(LessonFormState())
    return forms_menu_card([k for k in ctx.forms if form.kind in (None, k)] or list(ctx.forms))
