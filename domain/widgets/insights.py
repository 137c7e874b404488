"""class_insights: one card combining attendance, recent assessments, incidents and participation, per class.

Aggregates only (no student is named), so the read is audited per class.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, select
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import Activity, ActivityParticipation, Attendance, Incident, Severity, SkillAssessment
from domain.widgets.common import audit_classes, num_text, pct, pct_text, table, week_label
from domain.widgets.queries import BENCHMARK_LEVEL
from domain.widgets.result import ChartData, Metric, Series, WidgetResult
from domain.widgets.scope import WidgetScope

ATTENDED = ("present", "tardy")


async def class_insights(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    ids, start, end = scope.class_ids, scope.period.start, scope.period.end
    attended = Attendance.status.in_(ATTENDED)
    att_rows: Result[int, int, int] = await session.execute(
        select(Attendance.class_id, func.count(), func.count().filter(attended))
        .where(Attendance.class_id.in_(ids), Attendance.day.between(start, end))
        .group_by(Attendance.class_id)
    )
    att = {cid: (n, a) for cid, n, a in att_rows}
    skill_rows: Result[int, int, Decimal, int] = await session.execute(
        select(SkillAssessment.class_id, func.count(), func.avg(SkillAssessment.level),
               func.count().filter(SkillAssessment.level >= BENCHMARK_LEVEL))
        .where(SkillAssessment.class_id.in_(ids), SkillAssessment.assessed_on.between(start, end))
        .group_by(SkillAssessment.class_id)
    )
    skills = {cid: (n, float(mean), at_or_above) for cid, n, mean, at_or_above in skill_rows}
    tz = ZoneInfo(scope.actor.time_zone)
    lo, hi = datetime.combine(start, time(0), tz), datetime.combine(end + timedelta(days=1), time(0), tz)
    serious = Incident.severity.in_((Severity.serious, Severity.critical))
    inc_rows: Result[int, int, int] = await session.execute(
        select(Incident.class_id, func.count(), func.count().filter(serious))
        .where(Incident.class_id.in_(ids), Incident.occurred_at >= lo, Incident.occurred_at < hi)
        .group_by(Incident.class_id)
    )
    inc = {cid: (n, s) for cid, n, s in inc_rows}
    part_rows: Result[int, Decimal] = await session.execute(
        select(Activity.class_id, func.avg(ActivityParticipation.minutes_active))
        .join(ActivityParticipation, ActivityParticipation.activity_id == Activity.id)
        .where(Activity.class_id.in_(ids), Activity.day.between(start, end))
        .group_by(Activity.class_id)
    )
    part = {cid: float(avg) for cid, avg in part_rows}
    await audit_classes(session, scope)
    if not (att or skills or inc or part):
        return WidgetResult("class_insights", "Class insights", scope.label, scope.period,
                            empty=f"No attendance, assessments, incidents or activity were recorded for {scope.label} "
                                  "in this period.")
    n_att, n_present = sum(n for n, _ in att.values()), sum(a for _, a in att.values())
    n_sk = sum(v[0] for v in skills.values())
    mean_level = sum(v[0] * v[1] for v in skills.values()) / n_sk if n_sk else None
    n_inc, n_serious = sum(v[0] for v in inc.values()), sum(v[1] for v in inc.values())
    rows = []
    for c in scope.classes:
        n, a = att.get(c.id, (0, 0))
        sk = skills.get(c.id)
        rows.append((c.name, pct_text(pct(a, n)), num_text(sk[1], 2) if sk else "—",
                     str(inc.get(c.id, (0, 0))[0]), num_text(part.get(c.id), 1)))
    return WidgetResult(
        "class_insights", "Class insights", scope.label, scope.period,
        metrics=(Metric("Attendance", pct_text(pct(n_present, n_att)), pct(n_present, n_att)),
                 Metric("Assessments", str(n_sk), n_sk),
                 Metric("Mean skill level", num_text(mean_level, 2), mean_level),
                 Metric("At or above benchmark",
                        pct_text(pct(sum(v[2] for v in skills.values()), n_sk)),
                        pct(sum(v[2] for v in skills.values()), n_sk)),
                 Metric("Incidents", f"{n_inc} ({n_serious} serious+)", n_inc)),
        table=table("By class", ("Class", "Attendance", "Mean level", "Incidents", "Active min"), rows),
        chart=await _chart(session, scope, att),
        as_of=end,
    )


async def _chart(session: AsyncSession, scope: WidgetScope, att: dict[int, tuple[int, int]]) -> ChartData | None:
    if len(scope.classes) > 1:
        return ChartData("bar", "Attendance by class", tuple(c.name for c in scope.classes),
                         (Series("Attendance %", tuple(pct(att.get(c.id, (0, 0))[1], att.get(c.id, (0, 0))[0]) or 0.0
                                                       for c in scope.classes)),), "%", 100)
    week = cast(func.date_trunc("week", Attendance.day), Date)
    weekly = (await session.execute(
        select(week, func.count(), func.count().filter(Attendance.status.in_(ATTENDED)))
        .where(Attendance.class_id.in_(scope.class_ids), Attendance.day.between(scope.period.start, scope.period.end))
        .group_by(week).order_by(week)
    )).all()
    if not weekly:
        return None
    return ChartData("line", "Weekly attendance", tuple(week_label(w) for w, _, _ in weekly),
                     (Series("Attendance %", tuple(pct(a, n) or 0.0 for _, n, a in weekly)),), "%", 100)
