"""Every widget by name: what it needs (one class, some classes, or a school), its default period, whether a student
narrows it, and a one-line description the tool's docstring and the planner reuse."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.widgets.attendance import attendance
from domain.widgets.equipment import equipment
from domain.widgets.fitness import fitness_trends
from domain.widgets.insights import class_insights
from domain.widgets.participation import participation
from domain.widgets.programs import adaptive_pe, drivers_ed_progress
from domain.widgets.result import WidgetResult
from domain.widgets.safety import incident_summary, safety_risks
from domain.widgets.scope import WidgetScope
from domain.widgets.skills import assessment_status, skill_gaps
from domain.widgets.teams import teams

ScopeKind = Literal["one_class", "classes", "school"]
WidgetFn = Callable[[AsyncSession, WidgetScope], Awaitable[WidgetResult]]


@dataclass(frozen=True, slots=True)
class WidgetSpec:
    name: str
    run: WidgetFn
    scope: ScopeKind  # one_class: needs exactly one; classes: one or all of the caller's; school: a class or the school
    default_days: int | None  # None: the widget has no period (a snapshot as of today)
    takes_student: bool
    summary: str
    subject: str | None = None  # only classes of this subject (Drivers Ed)


_SPECS = (
    WidgetSpec("attendance", attendance, "classes", 30, True,
               "attendance rate per class and student, chronic-absence risk (below 90%) and trend"),
    WidgetSpec("teams", teams, "one_class", None, False,
               "balanced teams for one class from skill and fitness data, keeping keep-apart pairs apart"),
    WidgetSpec("skill_gaps", skill_gaps, "classes", 120, True,
               "weakest skills, students below benchmark, and who has not been assessed"),
    WidgetSpec("fitness_trends", fitness_trends, "classes", 365, True,
               "fitness-test results (PACER, push-ups, curl-ups, sit-and-reach) against healthy-zone bands"),
    WidgetSpec("safety_risks", safety_risks, "one_class", 30, False,
               "before a lesson: medical flags, recent incidents, supervision ratio, equipment issues"),
    WidgetSpec("equipment", equipment, "school", None, False,
               "equipment overdue for inspection, damaged, or below minimum count"),
    WidgetSpec("class_insights", class_insights, "classes", 30, False,
               "one summary of attendance, assessments, incidents and participation per class"),
    WidgetSpec("incident_summary", incident_summary, "school", 90, False,
               "incidents by type, severity, location and week (admins and nurses: school-wide)"),
    WidgetSpec("participation", participation, "classes", 30, True,
               "activity sessions and active minutes per student"),
    WidgetSpec("assessment_status", assessment_status, "classes", None, False,
               "which students lack an assessment for the current unit"),
    WidgetSpec("drivers_ed_progress", drivers_ed_progress, "classes", None, True,
               "drivers-ed classroom and behind-the-wheel hours and units vs requirement", subject="Drivers Ed"),
    WidgetSpec("adaptive_pe", adaptive_pe, "classes", None, False,
               "students with adaptations recorded, and their class's current unit"),
)
WIDGETS: dict[str, WidgetSpec] = {s.name: s for s in _SPECS}
WIDGET_NAMES: tuple[str, ...] = tuple(WIDGETS)
