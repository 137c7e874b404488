"""Read an emergency as one viewer sees it: a teacher's own classes (``teacher_view``) or the admins' roll-up
(``roll_up``). Names only — no health details, contacts or anything else a card must not show."""

from __future__ import annotations

from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession

from domain.emergencies.types import ClassCard, ClassTally, Header, MissingStudent, RollUp, RosterStudent, TeacherView

_HEADER = text(
    """
    SELECT e.id, e.school_id, e.kind, e.drill, e.period, e.started_at, e.closed_at, e.version, e.escalation_level,
           sc.name AS school, sc.time_zone, sb.display_name AS started_by, cb.display_name AS closed_by
    FROM emergencies e JOIN schools sc ON sc.id = e.school_id
    LEFT JOIN staff sb ON sb.id = e.started_by LEFT JOIN staff cb ON cb.id = e.closed_by
    WHERE e.id = :id
    """
)
_CLASSES = text(
    """
    SELECT ec.class_id, ec.teacher_id, ec.status, ec.answered_at, c.name, c.location, s.display_name AS teacher,
           (SELECT count(*) FROM enrollments en WHERE en.class_id = ec.class_id) AS enrolled
    FROM emergency_classes ec JOIN classes c ON c.id = ec.class_id JOIN staff s ON s.id = ec.teacher_id
    WHERE ec.emergency_id = :id ORDER BY c.name, ec.class_id
    """
)
# The current mark of every student marked in this emergency: the latest row wins.
_MARKS = text(
    """
    SELECT DISTINCT ON (m.student_id) m.student_id, m.mark, m.class_id, m.marked_at,
           COALESCE(st.preferred_name, st.first_name) || ' ' || st.last_name AS name
    FROM emergency_marks m JOIN students st ON st.id = m.student_id
    WHERE m.emergency_id = :id ORDER BY m.student_id, m.id DESC
    """
)
_ROSTER = text(
    """
    SELECT en.class_id, st.id, COALESCE(st.preferred_name, st.first_name) || ' ' || st.last_name AS name
    FROM enrollments en JOIN students st ON st.id = en.student_id
    WHERE en.class_id = ANY(:class_ids) ORDER BY st.last_name, st.first_name, st.id
    """
)
_ENROLLED_IN = text(
    "SELECT en.student_id, en.class_id FROM enrollments en JOIN emergency_classes ec ON ec.class_id = en.class_id"
    " WHERE ec.emergency_id = :id"
)
_USER_ID = text(
    "SELECT c.reference -> 'user' ->> 'id' FROM conversation_references c WHERE c.staff_id = :staff_id"
    " AND c.conversation_type = 'personal' ORDER BY c.updated_at DESC LIMIT 1"
)


async def header(session: AsyncSession, emergency_id: int) -> tuple[Header, dict[str, Any]] | None:
    row = (await session.execute(_HEADER, {"id": emergency_id})).mappings().first()
    if row is None:
        return None
    tz = ZoneInfo(row["time_zone"])
    return Header(
        emergency_id=row["id"], kind=row["kind"], drill=row["drill"], period=row["period"],
        school_name=row["school"], started_by=row["started_by"] or "—", started_at=row["started_at"].astimezone(tz),
        closed_by=row["closed_by"], closed_at=row["closed_at"].astimezone(tz) if row["closed_at"] else None,
        version=row["version"],
    ), dict(row)


async def refresh_user_ids(session: AsyncSession, staff_id: int) -> tuple[str, ...]:
    user_id = await session.scalar(_USER_ID, {"staff_id": staff_id})
    return (str(user_id),) if user_id else ()


async def _classes_and_marks(session: AsyncSession,
                             emergency_id: int) -> tuple[list[Any], dict[int, Any], dict[int, Any]]:
    classes = list((await session.execute(_CLASSES, {"id": emergency_id})).mappings())
    marks = {m["student_id"]: m for m in (await session.execute(_MARKS, {"id": emergency_id})).mappings()}
    by_class = {c["class_id"]: c for c in classes}
    return classes, marks, by_class


def _missing(marks: dict[int, Any], by_class: dict[int, Any], mark: str, tz: ZoneInfo) -> tuple[MissingStudent, ...]:
    out = []
    for m in marks.values():
        if m["mark"] != mark:
            continue
        cls = by_class.get(m["class_id"])
        out.append(MissingStudent(m["student_id"], m["name"], cls["name"] if cls else "—",
                                  cls["teacher"] if cls else "—", m["marked_at"].astimezone(tz)))
    return tuple(sorted(out, key=lambda s: (s.class_name, s.name)))


async def roll_up(session: AsyncSession, emergency_id: int, *, escalated: bool = False,
                  user_ids: tuple[str, ...] = ()) -> RollUp | None:
    found = await header(session, emergency_id)
    if found is None:
        return None
    head, raw = found
    tz = ZoneInfo(raw["time_zone"])
    classes, marks, by_class = await _classes_and_marks(session, emergency_id)
    enrolled_in = Counter[tuple[int, str]]()
    enrollments: Result[int, int] = await session.execute(_ENROLLED_IN, {"id": emergency_id})
    for student_id, class_id in enrollments:
        m = marks.get(student_id)
        if m is not None and m["mark"] == "with_me" and m["class_id"] != class_id:
            enrolled_in[(class_id, "with_me")] += 1
    per_class = Counter((m["class_id"], m["mark"]) for m in marks.values())
    tallies = tuple(
        ClassTally(
            class_id=c["class_id"], class_name=c["name"], teacher=c["teacher"], location=c["location"],
            status=c["status"], answered_at=c["answered_at"].astimezone(tz) if c["answered_at"] else None,
            enrolled=int(c["enrolled"]), missing=per_class[(c["class_id"], "missing")],
            injured=per_class[(c["class_id"], "injured")], with_other_teacher=enrolled_in[(c["class_id"], "with_me")],
        )
        for c in classes
    )
    return RollUp(
        header=head, classes=tallies, missing=_missing(marks, by_class, "missing", tz),
        injured=_missing(marks, by_class, "injured", tz),
        found=sum(1 for m in marks.values() if m["mark"] == "found"),
        escalated=escalated or raw["escalation_level"] >= 2, refresh_user_ids=user_ids,
    )


async def teacher_view(session: AsyncSession, emergency_id: int, teacher_id: int, *, reminder: bool = False,
                       user_ids: tuple[str, ...] = ()) -> TeacherView | None:
    found = await header(session, emergency_id)
    if found is None:
        return None
    head, raw = found
    tz = ZoneInfo(raw["time_zone"])
    classes, marks, by_class = await _classes_and_marks(session, emergency_id)
    mine = [c for c in classes if c["teacher_id"] == teacher_id]
    ids = [c["class_id"] for c in mine]
    rosters: dict[int, list[RosterStudent]] = {i: [] for i in ids}
    if ids:
        roster: Result[int, int, str] = await session.execute(_ROSTER, {"class_ids": ids})
        for class_id, student_id, name in roster:
            m = marks.get(student_id)
            rosters[class_id].append(RosterStudent(student_id, name, m["mark"] if m else None))
    cards = tuple(
        ClassCard(class_id=c["class_id"], class_name=c["name"], location=c["location"], status=c["status"],
                  answered_at=c["answered_at"].astimezone(tz) if c["answered_at"] else None,
                  students=tuple(rosters[c["class_id"]]))
        for c in mine
    )
    elsewhere = tuple(s for s in _missing(marks, by_class, "missing", tz)
                      if marks[s.student_id]["class_id"] not in ids)
    return TeacherView(header=head, classes=cards, missing_elsewhere=elsewhere, reminder=reminder,
                       refresh_user_ids=user_ids)
