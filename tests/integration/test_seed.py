"""The demo seed: documented counts, idempotence, determinism, the named fixtures and fictional contact data."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import Table, case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import make_engine, make_sessionmaker
from domain.models import (
    Alert,
    Attendance,
    Base,
    DriversEdProgress,
    Enrollment,
    Equipment,
    EquipmentInspection,
    FitnessTest,
    Guardian,
    HealthNote,
    Incident,
    Role,
    School,
    SchoolClass,
    Severity,
    Staff,
    Student,
)
from domain.names import MATCH_THRESHOLD, NameParts, name_score
from domain.seed import DEMO, STEPS, SeedReport, seed_demo

pytestmark = pytest.mark.asyncio

REPO = Path(__file__).resolve().parents[2]
FICTIONAL_PHONE = re.compile(r"^\(\d{3}\) 555-01\d{2}$")
EMPTY_AFTER_SEED = ("alerts", "alert_deliveries", "audit_log", "knowledge_documents", "knowledge_chunks",
                    "lesson_plans", "calendar_events", "conversation_references", "conversation_turns",
                    "message_feedback")
Sessions = async_sessionmaker[AsyncSession]


@pytest_asyncio.fixture
async def sessions(empty_db_url: str) -> AsyncIterator[Sessions]:
    engine = make_engine(empty_db_url, pool_size=2)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture
async def seeded(sessions: Sessions) -> Sessions:
    report = await seed_demo(sessions)
    assert not report.already_seeded
    return sessions


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


async def row_counts(sessions: Sessions) -> dict[str, int]:
    async with sessions() as s:
        return {t.name: await s.scalar(select(func.count()).select_from(t)) or 0 for t in _tables()}


async def fingerprint(sessions: Sessions) -> dict[str, str]:
    """A digest of every row of every table, in primary-key order (ids included)."""
    out = {}
    async with sessions() as s:
        for t in _tables():
            rows = (await s.execute(select(t).order_by(*t.primary_key.columns))).all()
            out[t.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return out


async def test_seeding_an_empty_database_writes_the_documented_district(sessions: Sessions) -> None:
    seen: list[tuple[str, int, int]] = []
    report = await seed_demo(sessions, lambda label, n, total: seen.append((label, n, total)))

    assert [n for _, n, _ in seen] == list(range(1, len(STEPS) + 1))
    assert {total for _, _, total in seen} == {len(STEPS)}
    assert not report.already_seeded
    assert (report.schools, report.students, report.staff, report.incidents) == (3, 600, 19, 40)
    assert 28 <= report.classes <= 32
    assert report.seconds > 0  # measured (a speed target belongs in bench/, not in a test)
    counts = await row_counts(sessions)
    assert counts["districts"] == 1 and counts["schools"] == 3 and counts["students"] == 600
    assert counts["classes"] == report.classes and counts["attendance"] == report.attendance
    assert counts["guardians"] == report.guardians and counts["enrollments"] == report.enrollments
    assert counts["equipment"] == report.equipment >= 3 * 24
    assert counts["alert_rules"] == 2 and counts["fitness_bands"] == report.fitness_bands == 158
    for table in EMPTY_AFTER_SEED:
        assert counts[table] == 0, table


async def test_every_class_has_a_teacher_and_every_student_a_class_and_an_emergency_contact(seeded: Sessions) -> None:
    async with seeded() as s:
        roles = (await s.execute(
            select(Staff.role, SchoolClass.school_id == Staff.school_id).join(Staff, SchoolClass.teacher_id == Staff.id)
        )).all()
        assert roles and all(role == Role.teacher and same_school for role, same_school in roles)
        contacts = Counter(
            (await s.scalars(select(Guardian.student_id).where(Guardian.is_emergency_contact))).all()
        )
        student_ids = (await s.scalars(select(Student.id))).all()
        assert all(contacts[i] == 1 for i in student_ids)
        in_own_grade = select(Enrollment.student_id).join(SchoolClass, SchoolClass.id == Enrollment.class_id).where(
            Enrollment.student_id == Student.id, SchoolClass.school_id == Student.school_id,
            SchoolClass.grade == Student.grade)
        assert await s.scalar(select(func.count()).select_from(Student).where(~in_own_grade.exists())) == 0
        per_student = Counter((await s.scalars(select(Enrollment.student_id))).all())
        assert set(per_student.values()) <= {1, 2} and 20 <= sum(v == 2 for v in per_student.values()) <= 60
        apart = {(c, a, b) for c, a, others in (await s.execute(
            select(Enrollment.class_id, Enrollment.student_id, Enrollment.keep_apart_from))).all() for b in others}
        assert 3 <= len(apart) // 2 <= 10 and all((c, b, a) in apart for c, a, b in apart)  # symmetric, same class


async def test_students_are_plausible_for_their_school_and_grade(seeded: Sessions) -> None:
    async with seeded() as s:
        rows = (await s.execute(
            select(Student.grade, Student.date_of_birth, Student.sex, Student.address, Student.student_number,
                   School.grade_low, School.grade_high).join(School, School.id == Student.school_id)
        )).all()
        for grade, dob, sex, address, number, low, high in rows:
            assert low <= grade <= high
            cutoff = date(2026, 9, 1)  # 5 on 1 September in kindergarten
            assert cutoff.year - dob.year - ((cutoff.month, cutoff.day) < (dob.month, dob.day)) == grade + 5
            assert sex in ("F", "M", "X")
            assert address and address.endswith(", Lakeside")
            assert re.fullmatch(r"S1\d{5}", number)
        assert 1 <= sum(r.sex == "X" for r in rows) <= 15
        flagged = await s.scalar(select(func.count()).select_from(Student).where(
            func.jsonb_array_length(Student.medical_flags) > 0))
        assert 0.12 * len(rows) <= (flagged or 0) <= 0.18 * len(rows)
        # Every flagged student has a nurse-authored health note from their own school's nurse.
        missing = await s.scalar(select(func.count()).select_from(Student).where(
            func.jsonb_array_length(Student.medical_flags) > 0,
            ~select(HealthNote.id).join(Staff, Staff.id == HealthNote.author_id).where(
                HealthNote.student_id == Student.id, Staff.role == Role.nurse, Staff.school_id == Student.school_id
            ).exists()))
        assert missing == 0
        young = await s.scalar(select(func.count()).select_from(FitnessTest).join(
            Student, Student.id == FitnessTest.student_id).where(Student.grade < 4))
        assert young == 0


async def test_records_cover_the_term_with_a_few_chronic_absentees(seeded: Sessions) -> None:
    async with seeded() as s:
        first, last = (await s.execute(select(func.min(Attendance.day), func.max(Attendance.day)))).one()
        assert (first, last) == (DEMO.term_start, DEMO.term_end)
        weekend = await s.scalar(select(func.count()).select_from(Attendance).where(
            func.extract("isodow", Attendance.day) > 5))
        assert weekend == 0
        rate = func.avg(case((Attendance.status.in_(("present", "tardy")), 1.0), else_=0.0))
        per = (await s.execute(
            select(Attendance.student_id, rate).group_by(Attendance.student_id, Attendance.class_id))).all()
        chronic = {sid for sid, r in per if r < 0.9}
        assert 5 <= len(chronic) <= 20
        severities = Counter((await s.scalars(select(Incident.severity))).all())
        assert severities[Severity.critical] == 1 and 2 <= severities[Severity.serious] <= 6
        assert severities[Severity.minor] + severities[Severity.moderate] >= 30
        assert await s.scalar(select(func.count()).select_from(Incident).where(
            Incident.idempotency_key.is_not(None))) == 0
        assert await s.scalar(select(func.count()).select_from(Alert)) == 0
        drivers = await s.scalar(select(func.count()).select_from(Enrollment).join(
            SchoolClass, SchoolClass.id == Enrollment.class_id).where(SchoolClass.subject == "Drivers Ed"))
        assert drivers and drivers == await s.scalar(select(func.count()).select_from(DriversEdProgress))


async def test_each_school_has_equipment_overdue_damaged_and_short(seeded: Sessions) -> None:
    as_of = DEMO.term_end
    async with seeded() as s:
        last = select(func.max(EquipmentInspection.inspected_on)).where(
            EquipmentInspection.equipment_id == Equipment.id).scalar_subquery()
        rows = (await s.execute(select(Equipment.school_id, Equipment.condition, Equipment.quantity,
                                       Equipment.min_quantity, Equipment.inspection_interval_days, last))).all()
        for school_id in {r[0] for r in rows}:
            mine = [r for r in rows if r[0] == school_id]
            assert 20 <= len(mine) <= 30
            assert any(r[5] is None or (as_of - r[5]).days > r[4] for r in mine)
            assert any(r[1] == "damaged" for r in mine)
            assert any(r[2] < r[3] for r in mine)


async def test_playground_users_map_to_staff_with_the_right_roles(seeded: Sessions) -> None:
    assert DEMO.tenant_id == "00000000-0000-0000-0000-0000000000001"
    assert DEMO.alex.aad_object_id == "00000000-0000-0000-0000-0000000000020"
    assert DEMO.lynne.aad_object_id == "00000000-0000-0000-0000-0000000000025"
    expected = {
        "Alex Wilber": (Role.teacher, None), "Megan Bowen": (Role.admin, 1), "Adele Vance": (Role.nurse, None),
        "Isaiah Langer": (Role.teacher, None), "Patti Fernandez": (Role.coach, None),
        "Lynne Robbins": (Role.admin, 2),
    }
    async with seeded() as s:
        for fx in DEMO.playground_staff:
            row = (await s.execute(
                select(Staff.display_name, Staff.role, Staff.escalation_rank, Staff.email, School.name)
                .join(School, School.id == Staff.school_id)
                .where(Staff.tenant_id == DEMO.tenant_id, Staff.aad_object_id == fx.aad_object_id)
            )).one()
            assert (row.role, row.escalation_rank) == expected[row.display_name]
            assert row.email == fx.email and row.name == "Ridgeview Middle"
        tenants = (await s.scalars(select(Staff.tenant_id).distinct())).all()
        assert tenants == [DEMO.tenant_id]
        for school_id in (await s.scalars(select(School.id))).all():
            ranks = sorted((await s.scalars(select(Staff.escalation_rank).where(
                Staff.school_id == school_id, Staff.role == Role.admin))).all())
            assert ranks[0] == 1 and ranks == list(range(1, len(ranks) + 1))
            roles = set((await s.scalars(select(Staff.role).where(Staff.school_id == school_id))).all())
            assert roles == {Role.teacher, Role.coach, Role.nurse, Role.admin}


async def _students_of(s: AsyncSession, teacher_email: str) -> list[tuple[str, str, str | None, int, str]]:
    rows = await s.execute(
        select(Student.first_name, Student.last_name, Student.preferred_name, Student.grade, SchoolClass.period)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .join(SchoolClass, SchoolClass.id == Enrollment.class_id)
        .join(Staff, Staff.id == SchoolClass.teacher_id)
        .where(Staff.email == teacher_email)
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_the_named_fixtures_hold(seeded: Sessions) -> None:
    async with seeded() as s:
        jamies = (await s.execute(select(Student.first_name, Student.last_name, Student.student_number).where(
            (func.lower(Student.first_name) == "jamie") | (func.lower(Student.preferred_name) == "jamie")))).all()
        assert sorted(tuple(j) for j in jamies) == [
            ("Jamie", "Chen", DEMO.jamie_chen.student_number), ("Jamie", "Ortiz", DEMO.jamie_ortiz.student_number)]

        alex = await _students_of(s, DEMO.alex.email)
        alex_jamies = [(last, grade, period) for first, last, _, grade, period in alex if first == "Jamie"]
        assert sorted(j[0] for j in alex_jamies) == ["Chen", "Ortiz"]
        assert alex_jamies[0][1:] != alex_jamies[1][1:]  # different grade or period
        assert ("Zoë", "Müller") in {(first, last) for first, last, *_ in alex}
        assert ("Katherine", "Brooks", "Kate") in {(first, last, pref) for first, last, pref, *_ in alex}
        assert not any(row[:2] == ("Riley", "Novak") for row in alex)
        isaiah = await _students_of(s, DEMO.isaiah.email)
        assert any(row[:2] == ("Riley", "Novak") for row in isaiah)
        assert not any(row[0] == "Jamie" for row in isaiah)

        flags = await s.scalar(select(Student.medical_flags).where(
            Student.student_number == DEMO.asthma_student.student_number))
        assert flags and any("asthma" in f.lower() for f in flags)
        alex_names = {f"{first} {last}" for first, last, *_ in alex}
        assert DEMO.asthma_student.full_name in alex_names

        morgan = (await s.execute(select(School.name, Student.grade).join(School, School.id == Student.school_id)
                                  .where(Student.first_name == "Morgan", Student.last_name == "Tate"))).all()
        assert [tuple(r) for r in morgan] == [("Lakeside High", 11)]

        for fx in DEMO.named_students:
            n = await s.scalar(select(func.count()).select_from(Student).where(
                Student.first_name == fx.first_name, Student.last_name == fx.last_name))
            assert n == 1, fx.full_name
            row = (await s.execute(select(Student.student_number, Student.grade, Student.preferred_name).where(
                Student.first_name == fx.first_name, Student.last_name == fx.last_name))).one()
            assert tuple(row) == (fx.student_number, fx.grade, fx.preferred_name)
        kates = await s.scalar(select(func.count()).select_from(Student).where(
            Student.first_name.in_(("Kate", "Katherine")) | (Student.preferred_name == "Kate")))
        assert kates == 1
        names = (await s.execute(select(Student.first_name, Student.last_name))).all()
        assert len({tuple(n) for n in names}) == len(names)  # no two students share a full name


async def test_fuzzy_roster_matches_find_only_the_named_fixtures(seeded: Sessions) -> None:
    """What the roster lookup sees: "Jamie" in Alex's classes means exactly Ortiz and Chen, never a James."""

    def matches(query: str, roster: list[tuple[str, str, str | None, int, str]]) -> set[str]:
        return {f"{first} {last}" for first, last, pref, *_ in roster
                if name_score(query, NameParts(first, last, preferred=pref)) >= MATCH_THRESHOLD}

    async with seeded() as s:
        alex = await _students_of(s, DEMO.alex.email)
        everyone = [(f, l_, p, 0, "") for f, l_, p in (await s.execute(
            select(Student.first_name, Student.last_name, Student.preferred_name))).all()]
    assert matches("Jamie", alex) == matches("Jamie", everyone) == {"Jamie Ortiz", "Jamie Chen"}
    assert matches("Kate", alex) == matches("Brooks", alex) == {"Katherine Brooks"}
    assert matches("Zoe Muller", alex) == {"Zoë Müller"}
    assert matches("Eli", alex) == {DEMO.asthma_student.full_name}
    assert matches("Riley", alex) == set() and matches("Riley Novak", everyone) == {"Riley Novak"}
    assert matches("Morgan Tate", everyone) == {"Morgan Tate"}


async def test_contact_details_are_fictional(seeded: Sessions) -> None:
    async with seeded() as s:
        phones = (await s.scalars(select(Guardian.phone))).all()
        assert phones and all(p and FICTIONAL_PHONE.match(p) for p in phones)
        emails = (await s.scalars(select(Guardian.email).where(Guardian.email.is_not(None)))).all()
        staff_emails = (await s.scalars(select(Staff.email))).all()
        assert all(e.endswith("@example.com") for e in [*emails, *staff_emails])


async def test_seeding_twice_changes_nothing(seeded: Sessions) -> None:
    before_counts, before = await row_counts(seeded), await fingerprint(seeded)

    again = await seed_demo(seeded)

    assert again.already_seeded
    assert again == SeedReport(already_seeded=True)
    assert await row_counts(seeded) == before_counts
    assert await fingerprint(seeded) == before


async def test_a_failure_part_way_leaves_nothing_written(sessions: Sessions) -> None:
    def fail_at_attendance(label: str, _n: int, _total: int) -> None:
        if label == "attendance":
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await seed_demo(sessions, fail_at_attendance)

    counts = await row_counts(sessions)
    counts.pop("fitness_bands")  # reference data the migration loads (the published FitnessGram bands)
    assert all(n == 0 for n in counts.values()), {k: v for k, v in counts.items() if v}
    assert not (await seed_demo(sessions)).already_seeded


async def test_separately_seeded_databases_are_identical(seeded: Sessions, empty_db_url: str) -> None:
    """Seeds again from scratch in another process with another hash seed, so set-ordering bugs would show."""
    first = await fingerprint(seeded)
    names = ", ".join(f'"{t.name}"' for t in _tables())
    async with seeded() as s, s.begin():
        await s.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))  # table names from our own metadata
    script = (
        "import asyncio, sys\n"
        "from domain.db import make_engine, make_sessionmaker\n"
        "from domain.seed import seed_demo\n"
        "async def main():\n"
        "    engine = make_engine(sys.argv[1], pool_size=1)\n"
        "    try:\n"
        "        assert not (await seed_demo(make_sessionmaker(engine))).already_seeded\n"
        "    finally:\n"
        "        await engine.dispose()\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", script, empty_db_url], check=True, cwd=REPO, env=env, timeout=120)

    assert await fingerprint(seeded) == first
    assert await seed_demo(seeded) == SeedReport(already_seeded=True)
