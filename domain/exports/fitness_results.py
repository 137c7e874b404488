"""A class's fitness-test results for the state report: one row per result (FitnessGram battery), with what a state
upload asks for — student number, name, grade, sex, age on the test day, test, result, unit and the Healthy Fitness
Zone from the stored bands (with their edition). Date of birth only for nurses and admins (``field_access``).

The class is one the caller may see (teachers their own, nurses and admins their school's); a class of the school
they may not see is refused and the attempt audited. Results are never ranked: rows are ordered by name and test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import audit
from domain.actor import Actor
from domain.authorization import field_access
from domain.errors import InvalidInput, NotAllowed
from domain.models import Enrollment, FitnessBand, FitnessTest, Student
from domain.records.fitness import zone
from domain.widgets.fitness import TEST_NAMES
from domain.widgets.queries import BAND_MAX_AGE
from domain.widgets.scope import (
    ClassRef,
    describe,
    matches,
    parse_class_text,
    school_classes_not_visible,
    visible_classes,
    wants_all,
)

DEFAULT_DAYS = 365
BASE_COLUMNS = ("Student number", "Last name", "First name", "Grade", "Sex", "Age at test", "Test date", "Test",
                "Result", "Unit", "Healthy Fitness Zone", "Standard")
DOB_COLUMN = "Date of birth"


@dataclass(frozen=True, slots=True)
class FitnessRows:
    class_ref: ClassRef
    since: date
    until: date
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    student_ids: tuple[int, ...]  # students with at least one result in the file
    enrolled: int


async def resolve_class(session: AsyncSession, actor: Actor, class_text: str | None, *, via: str) -> ClassRef:
    """The one class the text names among the caller's; refusals of another's class are audited in ``session``."""
    visible = [c for c in await visible_classes(session, actor) if c.subject != "Drivers Ed"]
    if wants_all(class_text):
        if len(visible) == 1:
            return visible[0]
        raise InvalidInput(f"Which class? The state report is made per class. Your classes: {describe(visible)}.")
    assert class_text is not None
    query = parse_class_text(class_text)
    chosen = [c for c in visible if matches(query, c)]
    if not chosen:
        others = [c for c in await school_classes_not_visible(session, actor) if matches(query, c)]
        if others:
            await audit.record(session, actor, action="class.read", subject_type="class",
                               subject_ids=[c.id for c in others], via=via, allowed=False,
                               reason="not the caller's class")
            raise RefusedClass(f"'{class_text}' is not one of your classes, so I can't export it. "
                                f"Your classes: {describe(visible)}.")
        raise InvalidInput(f"I couldn't find a class matching '{class_text}'. Your classes: {describe(visible)}.")
    if len(chosen) > 1:
        raise InvalidInput(f"'{class_text}' matches {len(chosen)} classes: {describe(chosen)}. Which one?")
    return chosen[0]


class RefusedClass(NotAllowed):
    """Raised after the refusal's audit row was added: the caller commits it, then re-raises."""


async def class_fitness_rows(session: AsyncSession, actor: Actor, cls: ClassRef, until: date,
                             days: int = DEFAULT_DAYS) -> FitnessRows:
    since = until - timedelta(days=days - 1)
    with_dob = field_access(actor).restricted_fields
    age = cast(func.extract("year", func.age(FitnessTest.tested_on, Student.date_of_birth)), Integer)
    stmt = (
        select(Student.id, Student.student_number, Student.last_name, Student.first_name, Student.grade, Student.sex,
               Student.date_of_birth, age, FitnessTest.tested_on, FitnessTest.test, FitnessTest.value,
               FitnessTest.unit, FitnessBand.healthy_min, FitnessBand.healthy_max, FitnessBand.edition)
        .join(Enrollment, and_(Enrollment.student_id == Student.id, Enrollment.class_id == cls.id))
        .join(FitnessTest, FitnessTest.student_id == Student.id)
        .outerjoin(FitnessBand, and_(FitnessBand.test == FitnessTest.test, FitnessBand.sex == Student.sex,
                                     FitnessBand.age == func.least(age, BAND_MAX_AGE)))
        .where(Student.active.is_(True), FitnessTest.tested_on.between(since, until))
        .order_by(Student.last_name, Student.first_name, Student.id, FitnessTest.test, FitnessTest.tested_on)
    )
    rows: list[tuple[str, ...]] = []
    students: list[int] = []
    for found in await session.execute(stmt):
        (sid, number, last, first, grade, sex, dob, years, tested_on, test, value, unit, low, high,
         edition) = list(found)
        if sid not in students:
            students.append(sid)
        row = (number, last, first, "K" if grade == 0 else str(grade), sex, "" if years is None else str(years),
               tested_on.isoformat(), TEST_NAMES.get(test, test), _number(value), unit, zone(value, low, high),
               edition or "")
        rows.append(row + ((dob.isoformat() if dob else "",) if with_dob else ()))
    enrolled = await session.scalar(
        select(func.count()).select_from(Enrollment).join(Student, Student.id == Enrollment.student_id)
        .where(Enrollment.class_id == cls.id, Student.active.is_(True))) or 0
    columns = BASE_COLUMNS + ((DOB_COLUMN,) if with_dob else ())
    return FitnessRows(cls, since, until, columns, tuple(rows), tuple(students), int(enrolled))


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}".rstrip("0")
