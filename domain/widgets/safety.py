"""safety_risks (one class, before its next lesson) and incident_summary (a class, the caller's classes, or a school).

Medical flags follow ``domain.authorization.field_access``: anyone who may see a student sees the short flags (a PE
teacher supervising activity has a safety need); health notes are never read here. Incident descriptions are not
shown by either widget, only type, severity, date, activity and location.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.actor import Actor
from domain.authorization import field_access
from domain.models import Incident, School, Severity, Student
from domain.widgets.common import audit_classes, audit_students, table, week_label, week_start
from domain.widgets.equipment import equipment_issues
from domain.widgets.queries import display_name, roster
from domain.widgets.result import ChartData, Metric, Series, WidgetResult
from domain.widgets.scope import WidgetScope

SEVERITIES = tuple(s.value for s in Severity)


def flags_shown(actor: Actor, students: Iterable[tuple[int, str, Sequence[str]]]) -> list[tuple[str, str, int]]:
    """(name, flag, student id) for every short medical flag of the students a supervising adult is about to lead in
    activity, when the viewer may see safety fields (``field_access``): the rule safety_risks and the pre-class
    brief share. Health notes are never part of it."""
    if not field_access(actor).safety_fields:
        return []
    return [(name, flag, sid) for sid, name, flags in students for flag in flags]


def _window(scope: WidgetScope) -> tuple[datetime, datetime]:
    tz = ZoneInfo(scope.actor.time_zone)
    start = datetime.combine(scope.period.start, time(0), tz)
    return start, datetime.combine(scope.period.end + timedelta(days=1), time(0), tz)


async def safety_risks(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    cls = scope.one
    entries = await roster(session, scope)
    ratio = (await session.execute(select(School.supervision_ratio).where(School.id == cls.school_id))).scalar_one()
    start, end = _window(scope)
    incidents = (
        await session.execute(
            select(Incident.occurred_at, Incident.incident_type, Incident.severity, Incident.activity,
                   Incident.student_id, display_name())
            .outerjoin(Student, Student.id == Incident.student_id)
            .where(Incident.class_id == cls.id, Incident.occurred_at >= start, Incident.occurred_at < end)
            .order_by(Incident.occurred_at.desc())
        )
    ).all()
    units = {cls.current_unit} if cls.current_unit else set()
    _considered, gear = await equipment_issues(session, cls.school_id, scope.today, units)
    access = field_access(scope.actor)
    flagged = flags_shown(scope.actor, ((e.id, e.name, e.medical_flags) for e in entries))
    await audit_classes(session, scope)
    await audit_students(session, scope, [sid for _, _, sid in flagged] + [r[4] for r in incidents if r[4]])
    adults = math.ceil(len(entries) / ratio) if entries else 0
    notes = [f"Supervision: {len(entries)} students at 1 adult per {ratio} → {adults} adult(s) needed."]
    tz = ZoneInfo(scope.actor.time_zone)
    notes += [f"{at.astimezone(tz):%b %-d}: {kind}, {sev.value}, {activity}" + (f" — {name}" if name else "")
              for at, kind, sev, activity, _sid, name in incidents[:5]]
    notes += [f"Equipment: {g.name} — {'; '.join(g.issues)}" for g in gear[:5]]
    by_sev = Counter(r[2].value for r in incidents)
    unit = cls.current_unit or "the current unit"
    return WidgetResult(
        "safety_risks", f"Safety check — {unit}", scope.label, scope.period,
        metrics=(Metric("Students", str(len(entries)), len(entries)),
                 Metric("Adults needed", str(adults), adults),
                 Metric("Medical flags", str(len(flagged)) if access.safety_fields else "not shown",
                        len(flagged) if access.safety_fields else None),
                 Metric("Recent incidents", str(len(incidents)), len(incidents)),
                 Metric("Equipment issues", str(len(gear)), len(gear))),
        table=table("Students with medical flags", ("Student", "Flag"), [(n, f) for n, f, _ in flagged], limit=15)
        if flagged else None,
        chart=ChartData("bar", "Incidents in the period by severity", SEVERITIES,
                        (Series("Incidents", tuple(float(by_sev.get(s, 0)) for s in SEVERITIES)),))
        if incidents else None,
        notes=tuple(notes) + (() if flagged or not access.safety_fields else ("No medical flags in this class.",)),
        as_of=scope.today,
        student_names=tuple(dict.fromkeys([n for n, _, _ in flagged] + [r[5] for r in incidents[:5] if r[5]])),
    )


def _incident_scope(scope: WidgetScope) -> ColumnElement[bool]:
    if scope.school_wide:
        return Incident.school_id == scope.actor.school_id
    if len(scope.classes) == 1 or scope.actor.is_school_wide:
        return Incident.class_id.in_(scope.class_ids)
    # A teacher's own classes, plus incidents they reported elsewhere (e.g. at recess duty).
    return or_(Incident.class_id.in_(scope.class_ids), Incident.reporter_id == scope.actor.staff_id)


async def incident_summary(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    start, end = _window(scope)
    rows = (
        await session.execute(
            select(Incident.occurred_at, Incident.incident_type, Incident.severity, Incident.location,
                   Incident.status)
            .where(_incident_scope(scope), Incident.school_id == scope.actor.school_id,
                   Incident.occurred_at >= start, Incident.occurred_at < end)
            .order_by(Incident.occurred_at)
        )
    ).all()
    await audit_classes(session, scope)
    if not rows:
        return WidgetResult("incident_summary", "Incident summary", scope.label, scope.period,
                            empty=f"No incidents were recorded for {scope.label} in this period.")
    tz = ZoneInfo(scope.actor.time_zone)
    grid: dict[str, Counter[str]] = defaultdict(Counter)
    weeks: Counter[date] = Counter()
    for at, kind, sev, _loc, _status in rows:
        grid[kind][sev.value] += 1
        weeks[week_start(at.astimezone(tz).date())] += 1
    types = sorted(grid, key=lambda k: (-sum(grid[k].values()), k))
    table_rows = [(k, *(str(grid[k].get(s, 0)) for s in SEVERITIES), str(sum(grid[k].values()))) for k in types]
    serious = sum(1 for r in rows if r[2] in (Severity.serious, Severity.critical))
    still_open = sum(1 for r in rows if r[4] != "closed")
    places = Counter(r[3] for r in rows).most_common(3)
    all_weeks = []
    w = week_start(scope.period.start)
    while w <= scope.period.end:
        all_weeks.append(w)
        w += timedelta(days=7)
    return WidgetResult(
        "incident_summary", "Incident summary", scope.label, scope.period,
        metrics=(Metric("Incidents", str(len(rows)), len(rows)), Metric("Serious or critical", str(serious), serious),
                 Metric("Open or follow-up", str(still_open), still_open),
                 Metric("Most common", f"{types[0]} ({sum(grid[types[0]].values())})", None)),
        table=table("By type and severity", ("Type", *[s.capitalize() for s in SEVERITIES], "Total"), table_rows),
        chart=ChartData("bar", "Incidents per week", tuple(week_label(w) for w in all_weeks),
                        (Series("Incidents", tuple(float(weeks.get(w, 0)) for w in all_weeks)),)),
        notes=("Most frequent locations: " + ", ".join(f"{p} ({n})" for p, n in places) + ".",),
        as_of=max(r[0] for r in rows).astimezone(tz).date(),
    )
