"""participation: activity sessions and active minutes per student over the period.

"Possible" minutes are the minutes of every activity session held in the student's classes in the period; a student
absent from a session has no participation row and so 0 active minutes for it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import Activity, ActivityParticipation, Enrollment
from domain.widgets.common import audit_classes, audit_students, num_text, pct, pct_text, table
from domain.widgets.queries import roster
from domain.widgets.result import ChartData, Metric, Series, WidgetResult
from domain.widgets.scope import WidgetScope

LOW_PARTICIPATION = 75.0


async def participation(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    in_window = (Activity.class_id.in_(scope.class_ids), Activity.day.between(scope.period.start, scope.period.end))
    entries = await roster(session, scope)
    names = {e.id: e.name for e in entries}
    possible = dict(
        ((sid, (n, minutes)) for sid, n, minutes in await session.execute(
            select(Enrollment.student_id, func.count(Activity.id), func.sum(Activity.minutes))
            .join(Activity, Activity.class_id == Enrollment.class_id)
            .where(*in_window, Enrollment.student_id.in_(list(names)))
            .group_by(Enrollment.student_id)
        ))
    )
    await audit_classes(session, scope)
    if not possible:
        return WidgetResult("participation", "Participation", scope.label, scope.period,
                            empty=f"No activity sessions were recorded for {scope.label} in this period.")
    active = {
        sid: (n, minutes)
        for sid, n, minutes in await session.execute(
            select(ActivityParticipation.student_id, func.count(), func.sum(ActivityParticipation.minutes_active))
            .join(Activity, Activity.id == ActivityParticipation.activity_id)
            .where(*in_window, ActivityParticipation.student_id.in_(list(names)))
            .group_by(ActivityParticipation.student_id)
        )
    }
    sessions = (
        await session.execute(
            select(Activity.day, Activity.name, func.min(Activity.minutes),
                   func.avg(ActivityParticipation.minutes_active), func.count(ActivityParticipation.student_id))
            .outerjoin(ActivityParticipation, ActivityParticipation.activity_id == Activity.id)
            .where(*in_window)
            .group_by(Activity.id, Activity.day, Activity.name)
            .order_by(Activity.day, Activity.id)
        )
    ).all()
    as_of = max(s[0] for s in sessions)
    if scope.student:
        sid = scope.student.id
        held, possible_min = possible.get(sid, (0, 0))
        came, active_min = active.get(sid, (0, 0))
        rows = await _student_sessions(session, scope)
        await audit_students(session, scope, [sid])
        share = pct(active_min or 0, possible_min or 0)
        return WidgetResult(
            "participation", f"Participation — {scope.student.display_name}", scope.label, scope.period,
            metrics=(Metric("Sessions joined", f"{came} of {held}", came),
                     Metric("Active minutes", str(active_min or 0),
                     active_min or 0), Metric("Share of possible", pct_text(share), share)),
            table=table("Sessions", ("Date", "Activity", "Active min"), rows),
            as_of=as_of, student_names=(scope.student.display_name,),
        )
    per_student = []
    for sid, (held, possible_min) in possible.items():
        came, active_min = active.get(sid, (0, 0))
        per_student.append((pct(active_min or 0, possible_min or 0) or 0.0, names[sid], sid, came, held,
                            active_min or 0))
    per_student.sort(key=lambda r: (r[0], r[1]))
    low = [r for r in per_student if r[0] < LOW_PARTICIPATION]
    low_rows = [(name, f"{came} of {held}", str(minutes), pct_text(share))
                for share, name, _sid, came, held, minutes in low]
    shown = table(f"Below {LOW_PARTICIPATION:.0f}% of possible minutes", ("Student", "Sessions", "Active min", "Share"),
                  low_rows)
    await audit_students(session, scope, [r[2] for r in low[: len(shown.rows)]])
    total_possible = sum(m or 0 for _, m in possible.values())
    total_active = sum(r[5] for r in per_student)
    mean_active = sum(float(s[3] or 0) * s[4] for s in sessions) / max(sum(s[4] for s in sessions), 1)
    overall = pct(total_active, total_possible)
    return WidgetResult(
        "participation", "Participation", scope.label, scope.period,
        metrics=(Metric("Active share of class time", pct_text(overall), overall),
                 Metric("Sessions held", str(len(sessions)), len(sessions)),
                 Metric("Active min per student-session", num_text(mean_active), round(mean_active, 1)),
                 Metric(f"Below {LOW_PARTICIPATION:.0f}%", str(len(low)), len(low))),
        table=shown if low_rows else None,
        chart=ChartData("line", "Mean active minutes per session", tuple(f"{d:%b %-d}" for d, *_ in sessions[-12:]),
                        (Series("Active min", tuple(round(float(s[3] or 0), 1) for s in sessions[-12:])),), "minutes"),
        notes=() if low_rows else (
            f"Every student was active for at least {LOW_PARTICIPATION:.0f}% of possible minutes.",),
        as_of=as_of, student_names=tuple(r[0] for r in shown.rows),
    )


async def _student_sessions(session: AsyncSession, scope: WidgetScope) -> list[tuple[str, str, str]]:
    assert scope.student is not None
    rows = await session.execute(
        select(Activity.day, Activity.name, Activity.minutes, ActivityParticipation.minutes_active)
        .join(Enrollment, Enrollment.class_id == Activity.class_id)
        .outerjoin(ActivityParticipation, (ActivityParticipation.activity_id == Activity.id)
                   & (ActivityParticipation.student_id == scope.student.id))
        .where(Activity.class_id.in_(scope.class_ids), Activity.day.between(scope.period.start, scope.period.end),
               Enrollment.student_id == scope.student.id)
        .order_by(Activity.day.desc())
    )
    return [(f"{d:%b %-d}", name, f"{active} of {minutes}" if active is not None else f"absent (of {minutes})")
            for d, name, minutes, active in rows]
