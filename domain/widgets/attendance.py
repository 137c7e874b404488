"""attendance: rate per class and per student over the period, chronic-absence risk (< 90 %) and its recent trend.

Present, tardy and sat out (in class, not taking part: see ``participation``) count as attended; absent and excused
both count as missed (chronic absence counts every missed
day, excused or not). The trend compares the last 14 days of the period with the days before it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, Date, and_, cast, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import Attendance, SchoolClass, Student
from domain.widgets.common import audit_classes, audit_students, pct, pct_text, table, week_label
from domain.widgets.result import ChartData, Metric, Series, WidgetResult
from domain.widgets.scope import WidgetScope

CHRONIC_BELOW = 90.0
RECENT_DAYS = 14
TREND_POINTS = 5.0
ATTENDED = ("present", "tardy", "sat_out")


def _window(scope: WidgetScope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Attendance.class_id.in_(scope.class_ids),
                                             Attendance.day.between(scope.period.start, scope.period.end)]
    if scope.student:
        conditions.append(Attendance.student_id == scope.student.id)
    return conditions


async def attendance(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    where = _window(scope)
    attended = Attendance.status.in_(ATTENDED)
    recent_start = scope.period.end - timedelta(days=RECENT_DAYS - 1)
    recent = Attendance.day >= recent_start
    split = scope.period.days >= 2 * RECENT_DAYS
    per_student = (
        await session.execute(
            select(
                Student.id,
                func.coalesce(Student.preferred_name, Student.first_name) + " " + Student.last_name,
                func.min(SchoolClass.name),
                func.count(),
                func.count().filter(attended),
                func.count().filter(recent),
                func.count().filter(and_(recent, attended)),
                func.count().filter(Attendance.status == "tardy"),
            )
            .join(Student, Student.id == Attendance.student_id)
            .join(SchoolClass, SchoolClass.id == Attendance.class_id)
            .where(*where)
            .group_by(Student.id)
        )
    ).all()
    await audit_classes(session, scope)
    if not per_student:
        return WidgetResult("attendance", "Attendance", scope.label, scope.period,
                            empty=f"No attendance was recorded for {scope.label} in this period.")
    week = cast(func.date_trunc("week", Attendance.day), Date)
    weekly = (
        await session.execute(
            select(week, func.count(), func.count().filter(attended)).where(*where).group_by(week).order_by(week)
        )
    ).all()
    per_class = (
        await session.execute(
            select(SchoolClass.name, func.count(), func.count().filter(attended))
            .join(SchoolClass, SchoolClass.id == Attendance.class_id)
            .where(*where)
            .group_by(SchoolClass.name)
            .order_by(SchoolClass.name)
        )
    ).all()
    as_of, days = (
        await session.execute(select(func.max(Attendance.day), func.count(distinct(Attendance.day))).where(*where))
    ).one()
    total = sum(r[3] for r in per_student)
    present = sum(r[4] for r in per_student)
    risk = []
    for sid, name, cls, n, n_att, n_recent, n_recent_att, _tardy in per_student:
        rate = pct(n_att, n)
        if rate is not None and rate < CHRONIC_BELOW:
            risk.append((rate, name, sid, cls, n - n_att, _trend(n, n_att, n_recent, n_recent_att) if split else "—"))
    risk.sort(key=lambda r: (r[0], r[1]))
    chart = (
        ChartData("bar", "Attendance by class", tuple(c for c, _, _ in per_class),
                  (Series("Attendance %", tuple(pct(a, n) or 0.0 for _, n, a in per_class)),), "%", 100)
        if len(per_class) > 1
        else ChartData("line", "Weekly attendance", tuple(week_label(w) for w, _, _ in weekly),
                       (Series("Attendance %", tuple(pct(a, n) or 0.0 for _, n, a in weekly)),), "%", 100)
    )
    if scope.student:
        (sid, name, _cls, n, n_att, _nr, _nra, tardy) = per_student[0]
        await audit_students(session, scope, [sid])
        missed = (
            await session.execute(
                select(Attendance.day, Attendance.status).where(*where, Attendance.status.notin_(ATTENDED))
                .order_by(Attendance.day)
            )
        ).all()
        return WidgetResult(
            "attendance", f"Attendance — {name}", scope.label, scope.period,
            metrics=(Metric("Attendance rate", pct_text(pct(n_att, n)), pct(n_att, n)),
                     Metric("Days missed", str(n - n_att), n - n_att), Metric("Tardies", str(tardy), tardy),
                     Metric("Days recorded", str(n), n)),
            table=table("Days missed", ("Date", "Status"), [(f"{d:%a %b %-d}", s) for d, s in missed]),
            chart=chart, as_of=as_of, student_names=(name,),
        )
    await audit_students(session, scope, [r[2] for r in risk])
    columns = (("Student", "Class", "Rate", "Missed", "Trend") if len(per_class) > 1
               else ("Student", "Rate", "Missed", "Trend"))
    rows = [
        (name, cls, pct_text(rate), str(missed), trend) if len(per_class) > 1
        else (name, pct_text(rate), str(missed), trend)
        for rate, name, _sid, cls, missed, trend in risk
    ]
    overall = pct(present, total)
    return WidgetResult(
        "attendance", "Attendance", scope.label, scope.period,
        metrics=(Metric("Attendance rate", pct_text(overall), overall),
                 Metric("Below 90%", str(len(risk)), len(risk)),
                 Metric("Students", str(len(per_student)), len(per_student)),
                 Metric("Days recorded", str(days), days)),
        table=table("Chronic-absence risk (below 90%)", columns, rows) if risk else None,
        chart=chart,
        notes=() if risk else ("No student is below 90% attendance in this period.",),
        as_of=as_of,
        student_names=tuple(r[1] for r in risk),
    )


def _trend(n: int, n_att: int, n_recent: int, n_recent_att: int) -> str:
    earlier_n, earlier_att = n - n_recent, n_att - n_recent_att
    if n_recent == 0 or earlier_n == 0:
        return "—"
    recent_rate, earlier_rate = 100.0 * n_recent_att / n_recent, 100.0 * earlier_att / earlier_n
    if recent_rate <= earlier_rate - TREND_POINTS:
        return "worsening"
    if recent_rate >= earlier_rate + TREND_POINTS:
        return "improving"
    return "steady"
