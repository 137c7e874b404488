"""Queries several widgets share: rosters, latest skill levels, latest fitness results with their healthy-zone band."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Integer, and_, cast, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import Enrollment, FitnessBand, FitnessTest, SkillAssessment, Student
from domain.widgets.scope import WidgetScope

BAND_MAX_AGE = 18  # the published tables' "17+"; younger ages without a band (e.g. PACER under 10) have none
BENCHMARK_LEVEL = 3  # skill levels 1 beginning, 2 developing, 3 meeting, 4 exceeding


@dataclass(frozen=True, slots=True)
class RosterEntry:
    id: int
    name: str
    class_id: int
    keep_apart_from: tuple[int, ...]
    adaptations: tuple[str, ...]
    medical_flags: tuple[str, ...]


def display_name() -> ColumnElement[str]:
    return func.coalesce(Student.preferred_name, Student.first_name) + " " + Student.last_name


async def roster(session: AsyncSession, scope: WidgetScope) -> list[RosterEntry]:
    """Students enrolled in the scope's classes (one entry per student and class), by name."""
    stmt = (
        select(Student.id, display_name(), Enrollment.class_id, Enrollment.keep_apart_from, Student.adaptations,
               Student.medical_flags)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .where(Enrollment.class_id.in_(scope.class_ids), Student.active.is_(True))  # who left is off the roster
        .order_by(Student.last_name, Student.first_name, Student.id)
    )
    if scope.student:
        stmt = stmt.where(Student.id == scope.student.id)
    return [
        RosterEntry(sid, name, cid, tuple(apart or ()), tuple(adapt or ()), tuple(flags or ()))
        for sid, name, cid, apart, adapt, flags in await session.execute(stmt)
    ]


async def latest_skill_levels(
    session: AsyncSession, class_ids: list[int], until: date, since: date | None = None, unit: str | None = None
) -> list[tuple[int, str, int, date]]:
    """(student id, skill, level, assessed on): each student's latest assessment of each skill in these classes."""
    conditions = [SkillAssessment.class_id.in_(class_ids), SkillAssessment.assessed_on <= until]
    if since is not None:
        conditions.append(SkillAssessment.assessed_on >= since)
    if unit is not None:
        conditions.append(SkillAssessment.unit == unit)
    stmt = (
        select(SkillAssessment.student_id, SkillAssessment.skill, SkillAssessment.level, SkillAssessment.assessed_on)
        .where(*conditions)
        .ext(distinct_on(SkillAssessment.student_id, SkillAssessment.skill))
        .order_by(SkillAssessment.student_id, SkillAssessment.skill, SkillAssessment.assessed_on.desc(),
                  SkillAssessment.id.desc())
    )
    return [tuple(r) for r in await session.execute(stmt)]  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class FitnessResult:
    student_id: int
    test: str
    value: float
    unit: str
    tested_on: date
    healthy_min: float | None  # both None: no band for this age/sex
    healthy_max: float | None = None


async def fitness_results(
    session: AsyncSession, student_ids: list[int], since: date, until: date, *, latest_only: bool
) -> list[FitnessResult]:
    """Fitness results in the window with the healthy-zone minimum for the student's sex and age on the test day."""
    age = cast(func.extract("year", func.age(FitnessTest.tested_on, Student.date_of_birth)), Integer)
    band_age = func.least(age, BAND_MAX_AGE)
    stmt = (
        select(FitnessTest.student_id, FitnessTest.test, FitnessTest.value, FitnessTest.unit, FitnessTest.tested_on,
               FitnessBand.healthy_min, FitnessBand.healthy_max)
        .join(Student, Student.id == FitnessTest.student_id)
        .outerjoin(FitnessBand, and_(FitnessBand.test == FitnessTest.test, FitnessBand.sex == Student.sex,
                                     FitnessBand.age == band_age))
        .where(FitnessTest.student_id.in_(student_ids), FitnessTest.tested_on.between(since, until))
    )
    if latest_only:
        stmt = stmt.ext(distinct_on(FitnessTest.student_id, FitnessTest.test)).order_by(
            FitnessTest.student_id, FitnessTest.test, FitnessTest.tested_on.desc(), FitnessTest.id.desc())
    else:
        stmt = stmt.order_by(FitnessTest.tested_on, FitnessTest.student_id, FitnessTest.test)
    return [FitnessResult(*r) for r in await session.execute(stmt)]
