"""A tiny hand-built district for widget tests: every figure a test expects is computed by hand from these rows.

School A (supervision ratio 2): teacher Tess (PE 7 — Period 3 with Ann, Ben, Cal; PE 8 — Period 5 with Dee, Eve),
teacher Theo (PE 7 — Period 1 with Fay; Drivers Ed — Period 7 with Fay, Gus), an admin and a nurse.
School B: teacher Tara (PE 9 — Period 2 with Hal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.models import District, Enrollment, Role, School, SchoolClass, Staff, Student

TZ = ZoneInfo("America/Chicago")
TODAY = date(2026, 11, 20)
NOW = datetime.combine(TODAY, time(15, 0), TZ)


@dataclass
class District_:
    sessions: async_sessionmaker[AsyncSession]
    tess: Actor
    theo: Actor
    tara: Actor
    admin: Actor
    nurse: Actor
    classes: dict[str, int]  # p3, p5, p1, de, b2
    students: dict[str, int]  # ann, ben, cal, dee, eve, fay, gus, hal
    school_a: int
    school_b: int

    async def add(self, model: type, rows: list[dict]) -> None:  # type: ignore[type-arg]
        async with self.sessions() as s, s.begin():
            await s.execute(insert(model), rows)


async def build(sessions: async_sessionmaker[AsyncSession]) -> District_:
    async with sessions() as s, s.begin():
        district = District(name="Test District")
        s.add(district)
        await s.flush()
        a = School(district_id=district.id, name="School A", code="A", time_zone="America/Chicago", grade_low=6,
                   grade_high=12, supervision_ratio=2)
        b = School(district_id=district.id, name="School B", code="B", time_zone="America/Chicago", grade_low=6,
                   grade_high=12, supervision_ratio=30)
        s.add_all([a, b])
        await s.flush()
        staff = {}
        for key, role, school in (("tess", Role.teacher, a), ("theo", Role.teacher, a), ("tara", Role.teacher, b),
                                  ("admin", Role.admin, a), ("nurse", Role.nurse, a)):
            staff[key] = Staff(school_id=school.id, tenant_id="t", aad_object_id=f"aad-{key}",
                               email=f"{key}@example.com", display_name=key.capitalize(), role=role)
        s.add_all(staff.values())
        await s.flush()
        specs = {
            "p3": (a, "tess", "PE 7 — Period 3", "PE", 7, "3", "Basketball"),
            "p5": (a, "tess", "PE 8 — Period 5", "PE", 8, "5", "Volleyball"),
            "p1": (a, "theo", "PE 7 — Period 1", "PE", 7, "1", "Soccer"),
            "de": (a, "theo", "Drivers Ed — Period 7", "Drivers Ed", 10, "7", "Rules of the Road"),
            "b2": (b, "tara", "PE 9 — Period 2", "PE", 9, "2", "Tennis"),
        }
        classes = {}
        for key, (school, teacher, name, subject, grade, period, unit) in specs.items():
            classes[key] = SchoolClass(school_id=school.id, teacher_id=staff[teacher].id, name=name, subject=subject,
                                       grade=grade, period=period, location="Gym", current_unit=unit)
        s.add_all(classes.values())
        await s.flush()
        people = {
            "ann": ("Ann", "Abbott", a, "F", date(2014, 3, 1)), "ben": ("Ben", "Brown", a, "M", date(2014, 5, 1)),
            "cal": ("Cal", "Cole", a, "M", date(2014, 6, 1)), "dee": ("Dee", "Diaz", a, "F", date(2013, 1, 1)),
            "eve": ("Eve", "Evans", a, "F", date(2013, 2, 1)), "fay": ("Fay", "Fox", a, "F", date(2010, 1, 1)),
            "gus": ("Gus", "Gray", a, "M", date(2010, 2, 1)), "hal": ("Hal", "Hill", b, "M", date(2011, 1, 1)),
        }
        students = {}
        for n, (key, (first, last, school, sex, dob)) in enumerate(people.items()):
            students[key] = Student(school_id=school.id, student_number=f"S{9000 + n}", first_name=first,
                                    last_name=last, grade=7, date_of_birth=dob, sex=sex)
        s.add_all(students.values())
        await s.flush()
        enrol = [("p3", "ann"), ("p3", "ben"), ("p3", "cal"), ("p5", "dee"), ("p5", "eve"), ("p1", "fay"),
                 ("de", "fay"), ("de", "gus"), ("b2", "hal")]
        await s.execute(insert(Enrollment), [{"class_id": classes[c].id, "student_id": students[st].id,
                                              "keep_apart_from": []} for c, st in enrol])
        actors = {}
        for key, member in staff.items():
            school = a if member.school_id == a.id else b
            actors[key] = Actor(member.id, school.id, member.role, "t", member.aad_object_id, member.display_name,
                                member.email, school.name, school.time_zone)
    return District_(sessions, actors["tess"], actors["theo"], actors["tara"], actors["admin"], actors["nurse"],
                     {k: v.id for k, v in classes.items()}, {k: v.id for k, v in students.items()}, a.id, b.id)


async def audit_rows(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, int, str, bool]]:
    from domain.models import AuditLog

    async with sessions() as s:
        rows = await s.execute(select(AuditLog.action, AuditLog.subject_type, AuditLog.subject_id, AuditLog.via,
                                      AuditLog.allowed).order_by(AuditLog.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]
