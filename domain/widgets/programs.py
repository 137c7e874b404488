"""drivers_ed_progress and adaptive_pe: per-student programme records for the caller's classes.

Drivers-ed requirements (hours) are the state minimums this district follows; units required come from each row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import DriversEdProgress
from domain.widgets.common import audit_classes, audit_students, num_text, pct, pct_text, table
from domain.widgets.queries import roster
from domain.widgets.result import ChartData, Metric, Series, WidgetResult
from domain.widgets.scope import WidgetScope

CLASSROOM_HOURS_REQUIRED = 30.0
BEHIND_WHEEL_HOURS_REQUIRED = 6.0


async def drivers_ed_progress(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    if not scope.classes:
        return WidgetResult("drivers_ed_progress", "Drivers ed progress", scope.label, None,
                            empty="You have no Drivers Ed classes on record.")
    entries = {e.id: e.name for e in await roster(session, scope)}
    rows = (
        await session.execute(
            select(DriversEdProgress.student_id, DriversEdProgress.classroom_hours,
                   DriversEdProgress.behind_wheel_hours, DriversEdProgress.units_completed,
                   DriversEdProgress.units_required, DriversEdProgress.updated_at)
            .where(DriversEdProgress.student_id.in_(list(entries)))
        )
    ).all()
    await audit_classes(session, scope)
    if not rows:
        return WidgetResult("drivers_ed_progress", "Drivers ed progress", scope.label, None,
                            empty=f"No drivers-ed progress is recorded for {scope.label}.")
    def done(r: tuple[int, float, float, int, int, datetime]) -> bool:
        return (r[1] >= CLASSROOM_HOURS_REQUIRED and r[2] >= BEHIND_WHEEL_HOURS_REQUIRED and r[3] >= r[4])

    ordered = sorted(rows, key=lambda r: (r[3] / max(r[4], 1), r[1], entries[r[0]]))
    table_rows = [(entries[r[0]], f"{num_text(r[1])} / {CLASSROOM_HOURS_REQUIRED:.0f}",
                   f"{num_text(r[2])} / {BEHIND_WHEEL_HOURS_REQUIRED:.0f}", f"{r[3]} / {r[4]}") for r in ordered]
    shown = table("Progress (least complete first)", ("Student", "Classroom h", "Behind wheel h", "Units"),
                  table_rows, limit=30)
    await audit_students(session, scope, [r[0] for r in ordered[: len(shown.rows)]])
    n = len(rows)
    complete = sum(done(r) for r in rows)
    shares = (
        sum(min(r[1] / CLASSROOM_HOURS_REQUIRED, 1) for r in rows) / n * 100,
        sum(min(r[2] / BEHIND_WHEEL_HOURS_REQUIRED, 1) for r in rows) / n * 100,
        sum(min(r[3] / max(r[4], 1), 1) for r in rows) / n * 100,
    )
    return WidgetResult(
        "drivers_ed_progress", "Drivers ed progress", scope.label, None,
        metrics=(Metric("Students", str(n), n), Metric("All requirements met", str(complete), complete),
                 Metric("Mean classroom hours", num_text(sum(r[1] for r in rows) / n), sum(r[1] for r in rows) / n),
                 Metric("Mean behind-the-wheel hours", num_text(sum(r[2] for r in rows) / n),
                        sum(r[2] for r in rows) / n)),
        table=shown,
        chart=ChartData("bar", "Mean share of requirement met", ("Classroom", "Behind wheel", "Units"),
                        (Series("% of requirement", tuple(round(s, 1) for s in shares)),), "%", 100),
        notes=(f"Requirements: {CLASSROOM_HOURS_REQUIRED:.0f} classroom hours, {BEHIND_WHEEL_HOURS_REQUIRED:.0f} "
               "behind-the-wheel hours, and every unit.",),
        as_of=max(r[5] for r in rows).date(),
        student_names=tuple(r[0] for r in shown.rows),
    )


async def adaptive_pe(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    entries = await roster(session, scope)
    units = {c.id: (c.name, c.current_unit or "—") for c in scope.classes}
    adapted = [e for e in entries if e.adaptations]
    await audit_classes(session, scope)
    if not entries:
        return WidgetResult("adaptive_pe", "Adaptive PE", scope.label, None, empty=f"No students in {scope.label}.")
    if not adapted:
        return WidgetResult("adaptive_pe", "Adaptive PE", scope.label, None,
                            empty=f"No student in {scope.label} has an adaptation recorded.")
    multi = len(scope.classes) > 1
    rows = [((e.name, units[e.class_id][0]) if multi else (e.name,)) + ("; ".join(e.adaptations), units[e.class_id][1])
            for e in adapted]
    shown = table("Adaptations", (("Student", "Class") if multi else ("Student",)) + ("Adaptations", "Current unit"),
                  rows, limit=20)
    await audit_students(session, scope, [e.id for e in adapted[: len(shown.rows)]])
    students = {e.id for e in entries}
    with_adapt = {e.id for e in adapted}
    kinds: dict[str, int] = {}
    for e in adapted:
        for a in e.adaptations:
            key = a.split(":")[0]
            kinds[key] = kinds.get(key, 0) + 1
    top = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
    share = pct(len(with_adapt), len(students))
    return WidgetResult(
        "adaptive_pe", "Adaptive PE", scope.label, None,
        metrics=(Metric("Students with adaptations", str(len(with_adapt)), len(with_adapt)),
                 Metric("Share of students", pct_text(share), share),
                 Metric("Adapted PE classes", str(sum(c.subject == "Adapted PE" for c in scope.classes)),
                        sum(c.subject == "Adapted PE" for c in scope.classes))),
        table=shown,
        chart=ChartData("pie", "Adaptations by kind", tuple(k for k, _ in top),
                        (Series("Students", tuple(float(v) for _, v in top)),)),
        student_names=tuple(r[0] for r in shown.rows),
    )
