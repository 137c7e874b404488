"""skill_gaps and assessment_status: what the skill assessments say, and who has not been assessed.

Benchmark: level 3 ("meeting") on the 1–4 scale. Both widgets use each student's *latest* assessment of a skill.
``skill_gaps`` looks at the period; ``assessment_status`` at the class's current unit, whose skills are the ones
assessed in that unit in the class so far (the unit's skill list is not stored elsewhere).
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from domain.widgets.common import audit_classes, audit_students, num_text, table
from domain.widgets.queries import BENCHMARK_LEVEL, latest_skill_levels, roster
from domain.widgets.result import ChartData, Metric, Series, WidgetResult
from domain.widgets.scope import WidgetScope

MAX_CHART_SKILLS = 8


async def skill_gaps(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    entries = await roster(session, scope)
    names = {e.id: e.name for e in entries}
    latest = [r for r in await latest_skill_levels(session, scope.class_ids, scope.period.end, scope.period.start)
              if r[0] in names]
    await audit_classes(session, scope)
    if not latest:
        return WidgetResult("skill_gaps", "Skill gaps", scope.label, scope.period,
                            empty=f"No skill assessments were recorded for {scope.label} in this period.")
    by_skill: dict[str, list[int]] = defaultdict(list)
    below: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for sid, skill, level, _day in latest:
        by_skill[skill].append(level)
        if level < BENCHMARK_LEVEL:
            below[sid].append((skill, level))
    as_of = max(r[3] for r in latest)
    weakest = sorted(by_skill.items(), key=lambda kv: (statistics.fmean(kv[1]), kv[0]))
    chart = ChartData("bar", "Mean level by skill (weakest first)", tuple(k for k, _ in weakest[:MAX_CHART_SKILLS]),
                      (Series("Mean level",
                              tuple(round(statistics.fmean(v), 2) for _, v in weakest[:MAX_CHART_SKILLS])),),
                      "level (1–4)", 4)
    if scope.student:
        rows = sorted(((skill, level, day) for sid, skill, level, day in latest), key=lambda r: (r[1], r[0]))
        await audit_students(session, scope, [scope.student.id])
        return WidgetResult(
            "skill_gaps", f"Skills — {scope.student.display_name}", scope.label, scope.period,
            metrics=(Metric("Skills assessed", str(len(rows)), len(rows)),
                     Metric("Below benchmark", str(sum(r[1] < BENCHMARK_LEVEL for r in rows)),
                            sum(r[1] < BENCHMARK_LEVEL for r in rows))),
            table=table("Latest level per skill", ("Skill", "Level", "Assessed"),
                        [(s, str(lv), f"{d:%b %-d}") for s, lv, d in rows]),
            as_of=as_of, student_names=(scope.student.display_name,),
        )
    assessed = {r[0] for r in latest}
    unassessed = sorted({e.id for e in entries} - assessed, key=lambda i: names[i])
    ranked = sorted(below.items(), key=lambda kv: (-len(kv[1]), statistics.fmean(lv for _, lv in kv[1]), names[kv[0]]))
    gap_rows = [(names[sid], _gap_text(gaps)) for sid, gaps in ranked]
    shown = table("Students below benchmark (level < 3)", ("Student", "Skills below (level)"), gap_rows)
    notes = [f"Weakest skill: {weakest[0][0]} (mean {num_text(statistics.fmean(weakest[0][1]), 2)})."]
    if unassessed:
        listed = ", ".join(names[i] for i in unassessed[:10])
        notes.append(f"Not assessed in this period ({len(unassessed)}): {listed}"
                     + ("…" if len(unassessed) > 10 else "."))
    await audit_students(session, scope, [sid for sid, _ in ranked[: len(shown.rows)]] + unassessed[:10])
    all_levels = [r[2] for r in latest]
    return WidgetResult(
        "skill_gaps", "Skill gaps", scope.label, scope.period,
        metrics=(Metric("Mean level", num_text(statistics.fmean(all_levels), 2), statistics.fmean(all_levels)),
                 Metric("Students below benchmark", str(len(below)), len(below)),
                 Metric("Not assessed", str(len(unassessed)), len(unassessed)),
                 Metric("Skills assessed", str(len(by_skill)), len(by_skill))),
        table=shown if gap_rows else None, chart=chart, notes=tuple(notes), as_of=as_of,
        student_names=tuple(r[0] for r in shown.rows) + tuple(names[i] for i in unassessed[:10]),
    )


async def assessment_status(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    entries = await roster(session, scope)
    units = {c.id: c.current_unit for c in scope.classes}
    missing_rows: list[tuple[str, ...]] = []
    full = partly = none = 0
    shown_ids: list[int] = []
    unit_notes = []
    multi = len(scope.classes) > 1
    for cls in scope.classes:
        unit = units[cls.id]
        members = [e for e in entries if e.class_id == cls.id]
        if not unit or not members:
            continue
        latest = await latest_skill_levels(session, [cls.id], scope.today, unit=unit)
        skills = sorted({r[1] for r in latest})
        if not skills:
            unit_notes.append(f"{cls.name}: no assessments recorded yet for {unit}.")
        done: dict[int, set[str]] = defaultdict(set)
        for sid, skill, _lv, _d in latest:
            done[sid].add(skill)
        for e in members:
            have = done.get(e.id, set())
            lacking = [s for s in skills if s not in have] if skills else ["all skills"]
            if skills and not lacking:
                full += 1
                continue
            if have:
                partly += 1
            else:
                none += 1
            shown_ids.append(e.id)
            missing_rows.append(((e.name, cls.name) if multi else (e.name,)) + (", ".join(lacking),))
    await audit_classes(session, scope)
    total = full + partly + none
    if total == 0:
        return WidgetResult("assessment_status", "Assessment status", scope.label, None,
                            empty=f"No students or no current unit recorded for {scope.label}.")
    shown = table("Lacking a current-unit assessment", (("Student", "Class") if multi else ("Student",)) + ("Missing",),
                  missing_rows)
    await audit_students(session, scope, shown_ids[: len(shown.rows)])
    unit_label = ", ".join(sorted({u for u in units.values() if u}))
    return WidgetResult(
        "assessment_status", f"Assessment status — {unit_label}", scope.label, None,
        metrics=(Metric("Fully assessed", str(full), full), Metric("Partly assessed", str(partly), partly),
                 Metric("Not assessed", str(none), none), Metric("Students", str(total), total)),
        table=shown if missing_rows else None,
        chart=ChartData("pie", "Current-unit assessment", ("Fully", "Partly", "Not yet"),
                        (Series("Students", (float(full), float(partly), float(none))),)),
        notes=tuple(unit_notes) or (() if missing_rows else ("Every student has a current-unit assessment.",)),
        student_names=tuple(r[0] for r in shown.rows),
    )


def _gap_text(gaps: list[tuple[str, int]], limit: int = 4) -> str:
    ordered = sorted(gaps, key=lambda g: (g[1], g[0]))
    text = ", ".join(f"{s} ({lv})" for s, lv in ordered[:limit])
    return text + (f" +{len(ordered) - limit} more" if len(ordered) > limit else "")
