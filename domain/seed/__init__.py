"""The deterministic synthetic demo district ("Lakeside Unified School District").

``await seed_demo(sessions)`` writes the whole district in one transaction, or nothing when it is already there.
Everything comes from ``random.Random(RANDOM_SEED)`` and fixed term dates (never today's date), so two databases
seeded separately hold identical rows. ``DEMO`` lists the named fixtures (Playground staff, the two Jamies...).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import unit_of_work
from domain.models import (
    Activity,
    ActivityParticipation,
    AlertRule,
    Attendance,
    District,
    DriversEdProgress,
    Equipment,
    EquipmentInspection,
    FitnessBand,
    FitnessTest,
    HealthNote,
    Incident,
    Role,
    SkillAssessment,
)
from domain.seed import people, records, safety
from domain.seed.bulk import insert_returning_ids, insert_rows
from domain.seed.catalog import fitness_band_rows
from domain.seed.facts import DEMO, RANDOM_SEED, TERM_END, TERM_START, DemoFacts, StaffFixture, StudentFixture

__all__ = ["DEMO", "RANDOM_SEED", "STEPS", "TERM_END", "TERM_START", "DemoFacts", "SeedReport", "StaffFixture",
           "StudentFixture", "seed_demo"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
STEPS = ("district and schools", "staff", "classes", "students", "guardians", "enrollments", "attendance",
         "activities", "skill assessments", "fitness", "health notes", "drivers ed", "equipment", "incidents",
         "alert rules")
# Serialises concurrent seeders: the second waits, then sees the district and changes nothing.
_LOCK_KEY = 0x5EED_2026_1125


@dataclass
class SeedReport:
    """Rows inserted by this call (all zero when the district was already there)."""

    already_seeded: bool = False
    schools: int = 0
    staff: int = 0
    classes: int = 0
    students: int = 0
    guardians: int = 0
    enrollments: int = 0
    attendance: int = 0
    activities: int = 0
    participation: int = 0
    skill_assessments: int = 0
    fitness_tests: int = 0
    fitness_bands: int = 0
    health_notes: int = 0
    drivers_ed: int = 0
    equipment: int = 0
    inspections: int = 0
    incidents: int = 0
    alert_rules: int = 0
    seconds: float = field(default=0.0, compare=False)


async def seed_demo(sessions: async_sessionmaker[AsyncSession], progress: Progress | None = None) -> SeedReport:
    """Seed the demo district once. Idempotent: if it exists, nothing changes and ``already_seeded`` is True.

    One transaction: an error at any step leaves the database as it was. ``progress(label, n, total)`` is called as
    each of the ``STEPS`` starts (n = 1..total).
    """
    started = time.perf_counter()
    async with unit_of_work(sessions) as session:
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        existing = await session.scalar(select(District.id).where(District.name == DEMO.district))
        if existing:
            return SeedReport(already_seeded=True, seconds=time.perf_counter() - started)
        report = await _seed(session, random.Random(RANDOM_SEED),  # noqa: S311 - reproducible demo data, not a secret
                              progress or (lambda _label, _n, _total: None))
    report.seconds = time.perf_counter() - started
    log.info("demo seed written", extra={"students": report.students, "seconds": round(report.seconds, 2)})
    return report


async def _seed(session: AsyncSession, rng: random.Random, progress: Progress) -> SeedReport:
    steps = iter(enumerate(STEPS, start=1))

    def step() -> None:
        n, label = next(steps)
        progress(label, n, len(STEPS))

    r = SeedReport()
    plan = people.plan_people(rng)
    step()
    district, schools = await people.insert_district(session)
    r.schools = len(schools)
    step()
    staff = await people.insert_staff(session, schools)
    r.staff = len(staff)
    step()
    classes = await people.insert_classes(session, plan, schools, staff)
    r.classes = len(classes)
    step()
    students = await people.insert_students(session, plan, schools)
    r.students = len(students)
    ids = people.PeopleIds(district, schools, staff, classes, students)
    step()
    r.guardians = await people.insert_guardians(session, plan, students)
    step()
    r.enrollments = await people.insert_enrollments(session, plan, classes, students)

    step()
    cal = records.plan_attendance(rng, plan)
    rows = records.attendance_rows(cal, classes, students)
    await insert_rows(session, Attendance, rows)
    r.attendance = len(rows)
    step()
    acts = records.plan_activities(rng, plan, cal)
    activity_ids = await insert_returning_ids(session, Activity, records.activity_rows(acts, classes))
    rows = records.participation_rows(rng, acts, cal, activity_ids, students)
    await insert_rows(session, ActivityParticipation, rows)
    r.activities, r.participation = len(acts), len(rows)
    step()
    rows = records.skill_rows(rng, plan, cal, classes, students, staff)
    await insert_rows(session, SkillAssessment, rows)
    r.skill_assessments = len(rows)
    step()
    # Bands are global reference data loaded by the migration: existing rows (perhaps a district's) are kept.
    await session.execute(pg_insert(FitnessBand).values(fitness_band_rows()).on_conflict_do_nothing())
    r.fitness_bands = await session.scalar(select(func.count()).select_from(FitnessBand)) or 0
    rows = records.fitness_rows(rng, plan, cal, students)
    await insert_rows(session, FitnessTest, rows)
    r.fitness_tests = len(rows)
    step()
    nurses = {s.school: staff[s.email] for s in people.STAFF if s.role == Role.nurse}
    rows = records.health_note_rows(rng, plan, students, nurses)
    await insert_rows(session, HealthNote, rows)
    r.health_notes = len(rows)
    step()
    rows = records.drivers_ed_rows(rng, plan, cal, students)
    await insert_rows(session, DriversEdProgress, rows)
    r.drivers_ed = len(rows)

    step()
    equipment = safety.plan_equipment(rng)
    equipment_ids = await insert_returning_ids(
        session, Equipment, [{"school_id": schools[e.school], **e.row} for e in equipment]
    )
    rows = [{"equipment_id": eid, "inspector_id": staff[safety.inspector_for(e.school)], **i}
            for e, eid in zip(equipment, equipment_ids, strict=True) for i in e.inspections]
    await insert_rows(session, EquipmentInspection, rows)
    r.equipment, r.inspections = len(equipment_ids), len(rows)
    step()
    rows = safety.incident_rows(rng, plan, cal, ids)
    await insert_rows(session, Incident, rows)
    r.incidents = len(rows)
    step()
    rows = safety.alert_rule_rows(ids.district)
    await insert_rows(session, AlertRule, rows)
    r.alert_rules = len(rows)
    return r
