"""A student read against the real Postgres: the caller's cached roster is only for matching names, so a student who
left the caller's classes is refused (and audited as refused) despite the cache; a profile's classes, notes and contact
come from the same statement as its audit row, with what each role may see."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.fakes.activities import ADELE, ALEX, ISAIAH
from domain.actor import Actor
from domain.seed.facts import DEMO
from domain.students import StudentLookup, StudentService
from tests.support.actors import actor_for

VIA = "test:hot-path"


async def student_id(outside: Any, first: str, last: str) -> int:
    (row,) = await outside("SELECT id FROM students WHERE first_name = :f AND last_name = :l", f=first, l=last)
    return int(row.id)


async def audit_mark(outside: Any) -> int:
    (row,) = await outside("SELECT coalesce(max(id), 0) AS id FROM audit_log")
    return int(row.id)


async def audit_since(outside: Any, mark: int, staff_id: int) -> list[tuple[str, int, bool]]:
    rows = await outside(
        "SELECT action, subject_id, allowed FROM audit_log WHERE id > :mark AND actor_staff_id = :staff"
        " ORDER BY id", mark=mark, staff=staff_id,
    )
    return [(r.action, int(r.subject_id), bool(r.allowed)) for r in rows]


def cached_roster_ids(students: StudentService, actor: Actor) -> set[int]:
    """The ids in the caller's cached roster: proves a look-up below is served from the cache, not a fresh read."""
    entry = students._rosters.get((actor.staff_id, actor.role, actor.school_id))
    assert entry is not None, "the roster was not cached"
    return {row.id for row in entry[1]}


async def unenroll_from_teacher(outside: Any, student: int, teacher: int) -> None:
    removed = await outside(
        "DELETE FROM enrollments e USING classes c WHERE e.class_id = c.id AND c.teacher_id = :teacher"
        " AND e.student_id = :student RETURNING e.class_id", teacher=teacher, student=student,
    )
    assert removed, "the student was not in the teacher's classes"


async def reassign_classes_of(outside: Any, student: int, teacher: int, to: int) -> None:
    moved = await outside(
        "UPDATE classes SET teacher_id = :to WHERE teacher_id = :teacher"
        " AND id IN (SELECT class_id FROM enrollments WHERE student_id = :student) RETURNING id",
        teacher=teacher, to=to, student=student,
    )
    assert moved, "the student was not in the teacher's classes"


@pytest.mark.parametrize("change", ["unenrolled", "class reassigned"])
async def test_a_student_who_left_the_callers_classes_is_refused_despite_the_cached_roster(
    sessions: async_sessionmaker[AsyncSession], outside: Any, change: str
) -> None:
    students = StudentService(sessions)
    alex = await actor_for(sessions, ALEX)
    isaiah = await actor_for(sessions, ISAIAH)
    ortiz = await student_id(outside, "Jamie", "Ortiz")

    mark = await audit_mark(outside)
    first = await students.find(alex, "Jamie Ortiz", via=VIA)
    assert first.status == "found" and first.profile is not None and first.profile.summary.id == ortiz
    assert await audit_since(outside, mark, alex.staff_id) == [("student.read", ortiz, True)]

    if change == "unenrolled":
        await unenroll_from_teacher(outside, ortiz, alex.staff_id)
    else:
        await reassign_classes_of(outside, ortiz, alex.staff_id, isaiah.staff_id)
    assert ortiz in cached_roster_ids(students, alex)  # still there: the next find matches against the stale roster

    mark = await audit_mark(outside)
    second = await students.find(alex, "Jamie Ortiz", via=VIA)
    assert second == StudentLookup(status="not_found", query="Jamie Ortiz")  # no profile, no candidates
    assert await audit_since(outside, mark, alex.staff_id) == [("student.read", ortiz, False)]
    assert ortiz in cached_roster_ids(students, alex)  # the refusal came from the SQL re-check, not a fresh roster

    # The student's new teacher (no cache involved) still finds them: the refusal is about Alex, not the record.
    if change == "class reassigned":
        found = await students.find(isaiah, "Jamie Ortiz", via=VIA)
        assert found.status == "found" and found.profile is not None and found.profile.summary.id == ortiz


async def test_a_candidate_who_left_the_callers_classes_is_not_listed_despite_the_cached_roster(
    sessions: async_sessionmaker[AsyncSession], outside: Any
) -> None:
    students = StudentService(sessions)
    alex = await actor_for(sessions, ALEX)
    ortiz = await student_id(outside, "Jamie", "Ortiz")
    chen = await student_id(outside, "Jamie", "Chen")

    both = await students.find(alex, "Jamie", via=VIA)
    assert both.status == "ambiguous"
    assert {c.id for c in both.candidates} == {ortiz, chen}

    await unenroll_from_teacher(outside, chen, alex.staff_id)
    assert {ortiz, chen} <= cached_roster_ids(students, alex)

    mark = await audit_mark(outside)
    one = await students.find(alex, "Jamie", via=VIA)
    assert one.status == "found", "one Jamie left in the caller's classes: no choice to make"
    shown = [c.id for c in one.candidates] + ([one.profile.summary.id] if one.profile else [])
    assert shown == [ortiz]
    assert DEMO.jamie_chen.student_number not in repr(one) and "Chen" not in repr(one)
    written = await audit_since(outside, mark, alex.staff_id)
    assert [(subject, allowed) for _, subject, allowed in written] == [(ortiz, True)]  # nothing logged as read of Chen

    # Neither Jamie visible any more, both still in the cached roster: refused and audited as such.
    await unenroll_from_teacher(outside, ortiz, alex.staff_id)
    assert {ortiz, chen} <= cached_roster_ids(students, alex)
    mark = await audit_mark(outside)
    none = await students.find(alex, "Jamie", via=VIA)
    assert none == StudentLookup(status="not_found", query="Jamie")
    written = await audit_since(outside, mark, alex.staff_id)
    assert sorted(written) == sorted([("student.read", ortiz, False), ("student.read", chen, False)])


async def test_a_profile_is_read_and_audited_in_one_statement_with_what_each_role_may_see(
    sessions: async_sessionmaker[AsyncSession], outside: Any
) -> None:
    """domain/student_profile.py: the classes, notes and contact come from the same statement as the audit row;
    checked against plain queries of the same tables."""
    students = StudentService(sessions)
    alex, adele = await actor_for(sessions, ALEX), await actor_for(sessions, ADELE)
    ortiz = await student_id(outside, "Jamie", "Ortiz")
    await outside("INSERT INTO health_notes (student_id, category, note) VALUES (:s, 'other', 'zz test note')",
                  s=ortiz)
    notes = [f"{r.category}: {r.note}" for r in await outside(
        "SELECT category, note FROM health_notes WHERE student_id = :s ORDER BY created_at, id", s=ortiz)]
    assert notes[-1] == "other: zz test note"

    def classes_sql(where: str) -> str:
        return ("SELECT c.name FROM classes c JOIN enrollments e ON e.class_id = c.id WHERE e.student_id = :s AND "
                f"{where} ORDER BY c.period, c.name")

    for actor, where, restricted in ((alex, "c.teacher_id = :v", False), (adele, "c.school_id = :v", True)):
        viewer = actor.school_id if restricted else actor.staff_id
        expected_classes = tuple(r.name for r in await outside(classes_sql(where), s=ortiz, v=viewer))
        mark = await audit_mark(outside)
        found = await students.find(actor, "Jamie Ortiz", via=VIA)
        assert found.status == "found" and found.profile is not None
        profile = found.profile
        assert profile.summary.id == ortiz and profile.summary.classes == expected_classes
        assert profile.emergency_contact is not None  # a safety need: both roles see it
        assert (profile.health_notes == tuple(notes)) if restricted else profile.health_notes is None
        assert (profile.date_of_birth is not None) is restricted
        rows = await outside("SELECT action, subject_id, allowed, reason, via FROM audit_log WHERE id > :m", m=mark)
        assert [(r.action, r.subject_id, r.allowed, r.reason, r.via) for r in rows] == [
            ("student.read", ortiz, True, "with health notes" if restricted else None, VIA)]
