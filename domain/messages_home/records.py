"""The records a message home is drafted from, and whom it may go to — every read scoped to what the sender may see.

- A teacher writes about students in their own classes (nurses and admins: their school), from records they may read:
  the student's latest incident, their attendance in the sender's visible classes, their latest fitness results.
- Recipients: the student's guardians with contact permission and an e-mail address; the others are only counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible, student_visible
from domain.errors import InvalidInput, NotAllowed
from domain.messages_home.texts import Facts, FitnessLine
from domain.models import Attendance, Enrollment, FitnessBand, FitnessTest, Guardian, Incident, SchoolClass, Student
from domain.records.fitness import value_text, zone
from domain.records.fitness_bands import TESTS

INCIDENT_WINDOW = timedelta(days=30)
ATTENDANCE_WINDOW = timedelta(days=30)
NOT_YOURS = "You can only write home about students in your classes."


@dataclass(frozen=True, slots=True)
class Recipient:
    guardian_id: int
    name: str
    email: str
    language: str | None  # as recorded (None: not recorded)
    student_id: int
    student: str  # first or preferred name


@dataclass(frozen=True, slots=True)
class Audience:
    recipients: tuple[Recipient, ...]
    no_permission: int  # guardians the school may not contact
    no_email: int  # guardians without an e-mail address
    students: int


@dataclass(frozen=True, slots=True)
class StudentRef:
    id: int
    first: str
    display_name: str
    class_name: str


async def student(session: AsyncSession, actor: Actor, student_id: int, *, via: str) -> StudentRef:
    """The student, if the sender may see them; otherwise refused and audited."""
    row = (await session.execute(
        select(Student.id, func.coalesce(Student.preferred_name, Student.first_name), Student.last_name)
        .where(Student.id == student_id, student_visible(actor)))).first()
    if row is None:
        await audit.record(session, actor, action="message_home.draft", subject_type="student",
                           subject_ids=[student_id], via=via, allowed=False, reason="not the sender's student")
        await session.commit()
        raise NotAllowed(NOT_YOURS)
    class_name = await session.scalar(
        select(SchoolClass.name).join(Enrollment, Enrollment.class_id == SchoolClass.id)
        .where(Enrollment.student_id == student_id, class_visible(actor)).order_by(SchoolClass.period).limit(1))
    return StudentRef(row[0], row[1], f"{row[1]} {row[2]}", class_name or "PE")


async def incident_facts(session: AsyncSession, actor: Actor, ref: StudentRef, base: Facts, now: datetime) -> Facts:
    row = (await session.execute(
        select(Incident.id, Incident.occurred_at, Incident.description, Incident.injuries, Incident.action_taken,
               Incident.activity)
        .where(Incident.student_id == ref.id, Incident.school_id == actor.school_id,
               Incident.occurred_at >= now - INCIDENT_WINDOW)
        .order_by(Incident.occurred_at.desc()).limit(1))).first()
    if row is None:
        raise InvalidInput(f"No incident is recorded for {ref.display_name} in the last 30 days, so there is nothing "
                           "to write home from. Record it first (e.g. \"Oliver hurt his wrist in basketball\"), then "
                           "ask me again.")
    incident_id, occurred, description, injuries, action, _activity = row
    details = " ".join(p for p in (description, injuries) if p)
    return replace(base, day=occurred.astimezone(now.tzinfo).date(), details=details[:1200],
                   action_taken=(action or "")[:600], record_id=incident_id)


async def attendance_facts(session: AsyncSession, actor: Actor, ref: StudentRef, base: Facts, now: datetime) -> Facts:
    since = now.date() - ATTENDANCE_WINDOW
    absent, tardy, sessions = (await session.execute(
        select(func.count().filter(Attendance.status == "absent"), func.count().filter(Attendance.status == "tardy"),
               func.count())
        .select_from(Attendance).join(SchoolClass, SchoolClass.id == Attendance.class_id)
        .where(Attendance.student_id == ref.id, Attendance.day >= since, class_visible(actor)))).one()
    if not sessions:
        raise InvalidInput(f"No attendance is recorded for {ref.display_name} in your classes in the last 30 days.")
    if not absent and not tardy:
        raise InvalidInput(f"{ref.display_name} has missed no PE lessons in the last 30 days ({sessions} recorded), "
                           "so there is no attendance concern to write about.")
    return replace(base, absences=int(absent), tardies=int(tardy), sessions=int(sessions), since=since)


async def fitness_facts(session: AsyncSession, actor: Actor, ref: StudentRef, base: Facts) -> Facts:
    latest = (select(FitnessTest.test, FitnessTest.value, FitnessTest.tested_on)
              .where(FitnessTest.student_id == ref.id)
              .ext(distinct_on(FitnessTest.test))
              .order_by(FitnessTest.test, FitnessTest.tested_on.desc(), FitnessTest.id.desc())
              .subquery())
    age = func.least(cast(func.extract("year", func.age(latest.c.tested_on, Student.date_of_birth)), Integer), 18)
    rows = (await session.execute(
        select(latest.c.test, latest.c.value, latest.c.tested_on, FitnessBand.healthy_min, FitnessBand.healthy_max)
        .select_from(latest).join(Student, Student.id == ref.id)
        .outerjoin(FitnessBand, and_(FitnessBand.test == latest.c.test, FitnessBand.sex == Student.sex,
                                     FitnessBand.age == age))
        .order_by(case(*((latest.c.test == name, n) for n, name in enumerate(TESTS)), else_=99)))).all()
    if not rows:
        raise InvalidInput(f"No fitness results are recorded for {ref.display_name} yet.")
    lines = tuple(_line(*row) for row in rows)
    return replace(base, results=lines, day=max(line.day for line in lines))


def _line(test: Any, value: Any, day: Any, low: Any, high: Any) -> FitnessLine:
    """One result row (test, value, date, band min, band max) as a line of the report."""
    return FitnessLine(TESTS[test].label if test in TESTS else test, value_text(test, value), day,
                       zone(value, low, high))


async def audience(session: AsyncSession, student_ids: list[int]) -> Audience:
    rows = (await session.execute(
        select(Guardian.id, Guardian.name, Guardian.email, Guardian.preferred_language, Guardian.contact_allowed,
               Student.id, func.coalesce(Student.preferred_name, Student.first_name))
        .join(Student, Student.id == Guardian.student_id)
        .where(Guardian.student_id.in_(student_ids), Student.active.is_(True))
        .order_by(Student.last_name, Student.first_name, Guardian.priority, Guardian.id))).all()
    ok, no_permission, no_email = [], 0, 0
    for gid, name, email, language, allowed, sid, first in rows:
        if not allowed:
            no_permission += 1
        elif not email:
            no_email += 1
        else:
            ok.append(Recipient(gid, name, email, language, sid, first))
    return Audience(tuple(ok), no_permission, no_email, len(set(student_ids)))


async def class_students(session: AsyncSession, class_id: int) -> list[int]:
    return list(await session.scalars(
        select(Enrollment.student_id).join(Student, Student.id == Enrollment.student_id)
        .where(Enrollment.class_id == class_id, Student.active.is_(True))))


async def class_still_visible(session: AsyncSession, actor: Actor, class_id: int) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(SchoolClass)
                                     .where(SchoolClass.id == class_id, class_visible(actor))))
