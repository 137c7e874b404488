"""run_widget: class analytics from data (attendance, teams, skill gaps, fitness, safety, equipment, ...) as a card."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.widgets import WIDGET_NAMES, WIDGETS, WidgetResult
from tools.base import ToolDeps, ToolResult, WidgetsAccess, tool

WidgetName = Literal[
    "attendance", "teams", "skill_gaps", "fitness_trends", "safety_risks", "equipment", "class_insights",
    "incident_summary", "participation", "assessment_status", "drivers_ed_progress", "adaptive_pe",
]
# Widgets about named students: the model may repeat the names it is given (never health details).
NAMES_TO_MODEL = frozenset({"attendance", "teams", "skill_gaps", "participation", "assessment_status",
                            "drivers_ed_progress"})
# Widgets whose notes carry no student names or health details.
NOTES_TO_MODEL = frozenset({"teams", "equipment", "incident_summary", "drivers_ed_progress", "attendance",
                            "class_insights"})
MAX_NAMES_TO_MODEL = 10
# What the model needs to pick a widget, shorter than the registry's summaries (every call carries them).
HINTS = {
    "attendance": "attendance and chronic absence", "teams": "balanced teams for a class",
    "skill_gaps": "weakest skills, students below benchmark", "fitness_trends": "fitness-test results and trends",
    "safety_risks": "before a lesson: medical flags, recent incidents, supervision, equipment issues",
    "equipment": "inspections due, damaged or missing equipment", "class_insights": "how a class is doing overall",
    "incident_summary": "incidents by type, severity, place, week", "participation": "activity and active minutes",
    "assessment_status": "who still needs a skills assessment", "drivers_ed_progress": "drivers-ed hours and units",
    "adaptive_pe": "students with adaptations",
}


class RunWidgetArgs(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    widget: WidgetName = Field(description="Which analytics: " + "; ".join(f"{n}: {HINTS.get(n, s.summary)}"
                                                                       for n, s in WIDGETS.items()))
    class_: str | None = Field(
        default=None, alias="class", max_length=80,
        description='The class as the user said it ("period 3", "PE 7", "7th grade", "drivers ed"); null for all of '
                    "the user's classes (or the school, for admins and nurses)",
    )
    student: str | None = Field(
        default=None, max_length=120,
        description="A student's name, only if the user asked about one student (attendance, skill_gaps, "
                    "fitness_trends, participation, drivers_ed_progress)",
    )
    period_days: int | None = Field(
        default=None, ge=1, le=365, description="Look-back window in days if the user gave one (e.g. 14 for "
                                                "'last two weeks'); null for the widget's default",
    )
    team_count: int | None = Field(default=None, ge=2, le=8,
                                   description="teams only: how many teams; null for a default")


@tool(RunWidgetArgs)
async def run_widget(args: RunWidgetArgs, deps: ToolDeps[WidgetsAccess]) -> ToolResult:
    """Run a class analytics widget on the user's own classes (admins and nurses: their school) and show it as a card
    with headline numbers, a chart and a short table. You receive only the headline numbers: summarise them in one or
    two sentences and never add figures that are not in the result. If the result says it is empty, say so plainly.
    If the class is unknown or ambiguous, the error lists the user's classes: ask which one."""
    result = await deps.services.widgets.run(
        deps.actor, args.widget, now=deps.now, class_text=args.class_, student_text=args.student,
        period_days=args.period_days, team_count=args.team_count,
    )
    return ToolResult(for_model=for_model(result), display=[result], student_ids=list(result.student_ids))


def for_model(result: WidgetResult) -> dict[str, Any]:
    """The small dict the model sees: scope, period and headline numbers; names only for widgets about students."""
    data: dict[str, Any] = {"widget": result.widget, "title": result.title, "scope": result.scope}
    if result.period:
        data["period"] = result.period.label()
    if result.as_of:
        data["data_as_of"] = result.as_of.isoformat()
    if result.empty:
        data["empty"] = result.empty
        data["summary"] = result.empty
        return data
    data["headline"] = result.headline()
    if result.widget in NAMES_TO_MODEL and result.student_names:
        data["students_shown"] = list(result.student_names[:MAX_NAMES_TO_MODEL])
    if result.widget in NOTES_TO_MODEL and result.notes:
        data["notes"] = list(result.notes)
    data["summary"] = summary(result)
    return data


def summary(result: WidgetResult) -> str:
    """One extractive sentence (every figure from the headline) that the offline planner can reply with."""
    period = f", {result.period.label()}" if result.period else ""
    figures = "; ".join(f"{m.label}: {m.value}" for m in result.metrics)
    return f"{result.title} for {result.scope}{period} — {figures}."


if set(WidgetName.__args__) != set(WIDGET_NAMES):  # type: ignore[attr-defined]
    raise RuntimeError("run_widget's enum and the widget registry disagree")
