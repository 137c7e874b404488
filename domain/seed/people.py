"""The people of the demo district: schools, staff, classes, students, guardians and enrollments.

``plan_people`` is pure (all randomness comes from the ``Random`` passed in); the ``insert_*`` functions write the
plan and return the database ids the later steps need.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import District, Enrollment, Guardian, Role, School, SchoolClass, Staff, Student
from domain.seed import names
from domain.seed.bulk import insert_returning_ids, insert_rows
from domain.seed.catalog import ADAPTATIONS, MEDICAL, Medical
from domain.seed.facts import (
    DEMO,
    ELEMENTARY,
    HIGH,
    MIDDLE,
    PERIOD_START,
    PLAYGROUND_TENANT_ID,
    SEEDED_AT,
    TIME_ZONE,
    StaffFixture,
    StudentFixture,
)

MON, TUE, WED, THU, FRI = range(5)
DAILY = (MON, TUE, WED, THU, FRI)
MWF, TTH = (MON, WED, FRI), (TUE, THU)


@dataclass(frozen=True)
class SchoolSpec:
    name: str
    code: str
    grade_low: int
    grade_high: int


SCHOOLS = (SchoolSpec(ELEMENTARY, "LES", 0, 5), SchoolSpec(MIDDLE, "RMS", 6, 8), SchoolSpec(HIGH, "LHS", 9, 12))


def _synthetic(n: int, name: str, role: Role, school: str, rank: int | None = None) -> StaffFixture:
    return StaffFixture(name, f"{names.ascii_slug(name)}@example.com", f"10000000-0000-0000-0000-{n:012d}", role,
                        school, rank)


STAFF: tuple[StaffFixture, ...] = (
    _synthetic(101, "Carmen Ruiz", Role.teacher, ELEMENTARY),
    _synthetic(102, "Derek Lindqvist", Role.teacher, ELEMENTARY),
    _synthetic(103, "Tom Becker", Role.coach, ELEMENTARY),
    _synthetic(104, "Helen Park", Role.nurse, ELEMENTARY),
    _synthetic(105, "Gloria Stein", Role.admin, ELEMENTARY, 1),
    DEMO.alex,
    DEMO.isaiah,
    _synthetic(111, "Nadia Okafor", Role.teacher, MIDDLE),
    DEMO.patti,
    DEMO.adele,
    DEMO.megan,
    DEMO.lynne,
    _synthetic(121, "Marcus Hale", Role.teacher, HIGH),  # also teaches Drivers Ed
    _synthetic(122, "Priya Raman", Role.teacher, HIGH),
    _synthetic(123, "Owen Fitzgerald", Role.teacher, HIGH),
    _synthetic(124, "Dana Kowalski", Role.coach, HIGH),
    _synthetic(125, "Ruth Abernathy", Role.nurse, HIGH),
    _synthetic(126, "Victor Salazar", Role.admin, HIGH, 1),
    _synthetic(127, "Irene Cho", Role.admin, HIGH, 2),
)
_BY_NAME = {s.display_name: s.email for s in STAFF}


@dataclass
class ClassPlan:
    index: int
    school: str
    teacher_email: str
    grade: int
    period: int
    location: str
    units: tuple[str, ...]  # in term order; the last is the current unit
    weekdays: tuple[int, ...]
    size: int  # students whose primary PE class this is (0 for add-on classes)
    subject: str = "PE"

    @property
    def name(self) -> str:
        grade = "K" if self.grade == 0 else str(self.grade)
        label = "Drivers Ed" if self.subject == "Drivers Ed" else f"{self.subject} {grade}"
        return f"{label} — Period {self.period}"


_K2 = ("Movement Foundations", "Locomotor Skills", "Throwing and Catching")
_G35 = ("Fitness Foundations", "Soccer Skills", "Striking with Implements")
_CLASS_TABLE: tuple[tuple[str, str, int, int, str, tuple[str, ...], tuple[int, ...], int, str], ...] = (
    # school, teacher, grade, period, location, units, weekdays, primary size, subject
    (ELEMENTARY, "Carmen Ruiz", 0, 1, "Main Gym", _K2, MWF, 16, "PE"),
    (ELEMENTARY, "Carmen Ruiz", 0, 2, "Main Gym", _K2, TTH, 16, "PE"),
    (ELEMENTARY, "Carmen Ruiz", 1, 3, "Main Gym", _K2, MWF, 16, "PE"),
    (ELEMENTARY, "Carmen Ruiz", 1, 4, "Main Gym", _K2, TTH, 16, "PE"),
    (ELEMENTARY, "Carmen Ruiz", 2, 5, "Main Gym", _K2, MWF, 16, "PE"),
    (ELEMENTARY, "Carmen Ruiz", 2, 6, "Main Gym", _K2, TTH, 16, "PE"),
    (ELEMENTARY, "Derek Lindqvist", 3, 1, "Multipurpose Room", _G35, MWF, 16, "PE"),
    (ELEMENTARY, "Derek Lindqvist", 3, 2, "Multipurpose Room", _G35, TTH, 16, "PE"),
    (ELEMENTARY, "Derek Lindqvist", 4, 3, "Multipurpose Room", _G35, MWF, 16, "PE"),
    (ELEMENTARY, "Derek Lindqvist", 4, 4, "Multipurpose Room", _G35, TTH, 16, "PE"),
    (ELEMENTARY, "Derek Lindqvist", 5, 5, "Field 1", _G35, MWF, 16, "PE"),
    (ELEMENTARY, "Derek Lindqvist", 5, 6, "Field 1", _G35, TTH, 16, "PE"),
    (MIDDLE, "Alex Wilber", 6, 1, "Main Gym", ("Fitness Testing", "Flag Football", "Basketball"), DAILY, 23, "PE"),
    (MIDDLE, "Isaiah Langer", 6, 2, "Auxiliary Gym", ("Fitness Testing", "Ultimate Frisbee", "Volleyball"), DAILY,
     23, "PE"),
    (MIDDLE, "Nadia Okafor", 6, 4, "Field 2", ("Fitness Testing", "Volleyball", "Flag Football"), DAILY, 22, "PE"),
    (MIDDLE, "Alex Wilber", 7, 3, "Main Gym", ("Fitness Testing", "Ultimate Frisbee", "Basketball"), DAILY, 23, "PE"),
    (MIDDLE, "Isaiah Langer", 7, 1, "Auxiliary Gym", ("Fitness Testing", "Flag Football", "Volleyball"), DAILY, 23,
     "PE"),
    (MIDDLE, "Nadia Okafor", 7, 5, "Field 2", ("Fitness Testing", "Basketball", "Soccer"), DAILY, 22, "PE"),
    (MIDDLE, "Alex Wilber", 8, 5, "Main Gym", ("Fitness Testing", "Flag Football", "Basketball"), DAILY, 23, "PE"),
    (MIDDLE, "Isaiah Langer", 8, 4, "Auxiliary Gym", ("Fitness Testing", "Ultimate Frisbee", "Volleyball"), DAILY,
     23, "PE"),
    (MIDDLE, "Nadia Okafor", 8, 2, "Fitness Room", ("Fitness Testing", "Soccer", "Strength Training"), DAILY, 22,
     "PE"),
    (MIDDLE, "Nadia Okafor", 7, 6, "Fitness Room", ("Movement Foundations", "Boccia", "Adapted Basketball"), MWF, 0,
     "Adapted PE"),
    (HIGH, "Priya Raman", 9, 1, "Main Gym", ("Fitness Testing", "Soccer", "Volleyball"), DAILY, 26, "PE"),
    (HIGH, "Owen Fitzgerald", 9, 3, "Field 2", ("Fitness Testing", "Basketball", "Soccer"), DAILY, 25, "PE"),
    (HIGH, "Owen Fitzgerald", 10, 2, "Pool", ("Fitness Testing", "Volleyball", "Swimming"), DAILY, 26, "PE"),
    (HIGH, "Priya Raman", 10, 4, "Main Gym", ("Fitness Testing", "Tennis", "Basketball"), DAILY, 25, "PE"),
    (HIGH, "Marcus Hale", 11, 2, "Weight Room", ("Fitness Testing", "Volleyball", "Strength Training"), DAILY, 26,
     "PE"),
    (HIGH, "Priya Raman", 11, 5, "Field 2", ("Fitness Testing", "Strength Training", "Soccer"), DAILY, 25, "PE"),
    (HIGH, "Marcus Hale", 12, 3, "Main Gym", ("Fitness Testing", "Tennis", "Basketball"), DAILY, 26, "PE"),
    (HIGH, "Owen Fitzgerald", 12, 6, "Weight Room", ("Fitness Testing", "Volleyball", "Strength Training"), DAILY,
     25, "PE"),
    (HIGH, "Marcus Hale", 10, 7, "Room 114", ("Rules of the Road", "Defensive Driving", "Sharing the Road"), TTH, 0,
     "Drivers Ed"),
)
ADAPTED_PE_SIZE = 8
DRIVERS_ED_SIZE = 24
CHRONIC_ABSENTEES = 10


def plan_classes() -> list[ClassPlan]:
    return [
        ClassPlan(i, school, _BY_NAME[teacher], grade, period, location, units, days, size, subject)
        for i, (school, teacher, grade, period, location, units, days, size, subject) in enumerate(_CLASS_TABLE)
    ]


@dataclass
class StudentPlan:
    index: int
    school: str
    number: str
    first: str
    last: str
    preferred: str | None
    grade: int
    dob: date
    sex: str
    address: str
    opt_out: bool
    classes: list[int]  # class indices; [0] is the primary PE class
    fixture: bool = False
    medical: list[Medical] = field(default_factory=list)
    adaptations: list[str] = field(default_factory=list)
    chronic: bool = False
    never_assessed: bool = False
    fitness: float = 0.0  # latent ability, drives fitness results
    skill: float = 0.0  # latent ability, drives skill levels
    guardians: list[dict[str, Any]] = field(default_factory=list)
    keep_apart: list[int] = field(default_factory=list)  # student indices


@dataclass
class PeoplePlan:
    classes: list[ClassPlan]
    students: list[StudentPlan]


def _dob(rng: random.Random, grade: int) -> date:
    """Old enough for the grade on 1 September 2026 (kindergarten: 5)."""
    start = date(2020 - grade, 9, 2)
    return start + timedelta(days=rng.randrange((date(2021 - grade, 9, 2) - start).days))


def _address(rng: random.Random) -> str:
    street = f"{rng.randint(100, 9899)} {rng.choice(names.STREETS)} {rng.choice(names.STREET_KINDS)}"
    apt = f", Apt {rng.randint(1, 4)}{rng.choice('ABCD')}" if rng.random() < 0.1 else ""
    return f"{street}{apt}, Lakeside"


def _phone(rng: random.Random) -> str:
    return f"({rng.choice(names.AREA_CODES)}) 555-01{rng.randrange(100):02d}"


def _guardians(rng: random.Random, last: str) -> list[dict[str, Any]]:
    count = 1 if rng.random() < 0.3 else 2
    first_is_mother = rng.random() < 0.6
    rels = (["mother", "father"] if first_is_mother else ["father", "mother"])[:count]
    if count == 1 and rng.random() < 0.25:
        rels = [rng.choice(["grandmother", "grandfather", "aunt", "guardian"])]
    rows = []
    for priority, rel in enumerate(rels, start=1):
        female = rel in ("mother", "grandmother", "aunt") or (rel == "guardian" and rng.random() < 0.5)
        first = rng.choice(names.GUARDIAN_FEMALE if female else names.GUARDIAN_MALE)
        surname = last if rng.random() < 0.85 else rng.choice(names.LAST)
        email = f"{names.ascii_slug(first + ' ' + surname)}{rng.randint(1, 99)}@example.com"
        rows.append({"name": f"{first} {surname}", "relationship_to_student": rel, "phone": _phone(rng),
                     "email": email if rng.random() < 0.9 else None, "is_emergency_contact": priority == 1,
                     "priority": priority})
    return rows


def plan_people(rng: random.Random) -> PeoplePlan:
    classes = plan_classes()
    by_name = {c.name: c for c in classes}
    fixtures: dict[int, list[StudentFixture]] = {}
    for fx in DEMO.named_students:
        fixtures.setdefault(by_name[fx.class_name].index, []).append(fx)
    taken = {fx.full_name for fx in DEMO.named_students}
    students: list[StudentPlan] = []
    serial = 100001
    for cls in classes:
        for slot in range(cls.size):
            pinned = fixtures.get(cls.index, [])
            if slot < len(pinned):
                fx = pinned[slot]
                sp = StudentPlan(len(students), cls.school, fx.student_number, fx.first_name, fx.last_name,
                                 fx.preferred_name, cls.grade, _dob(rng, cls.grade), fx.sex, _address(rng), False,
                                 [cls.index], fixture=True)
                sp.medical = [m for m in MEDICAL if m.flag in fx.medical_flags]
            else:
                roll = rng.random()
                sex = "X" if roll < 0.01 else ("F" if roll < 0.505 else "M")
                pool = {"F": names.FEMALE_FIRST, "M": names.MALE_FIRST, "X": names.NEUTRAL_FIRST}[sex]
                while True:
                    first, last = rng.choice(pool), rng.choice(names.LAST)
                    if f"{first} {last}" not in taken:
                        break
                taken.add(f"{first} {last}")
                nick = names.NICKNAMES.get(first) if rng.random() < 0.35 else None
                sp = StudentPlan(len(students), cls.school, f"S{serial}", first, last, nick, cls.grade,
                                 _dob(rng, cls.grade), sex, _address(rng), rng.random() < 0.05, [cls.index])
                serial += 1
            sp.fitness, sp.skill = rng.gauss(0, 1), rng.gauss(0, 1)
            sp.guardians = _guardians(rng, sp.last)
            students.append(sp)
    _assign_extras(rng, classes, students)
    return PeoplePlan(classes, students)


def _assign_extras(rng: random.Random, classes: list[ClassPlan], students: list[StudentPlan]) -> None:
    """Medical flags, adaptations, add-on classes, chronic absence, keep-apart pairs (never on named fixtures)."""
    free = [s for s in students if not s.fixture]
    for s in rng.sample(free, round(0.145 * len(students))):
        s.medical = [rng.choices(MEDICAL, weights=[m.weight for m in MEDICAL])[0]]
        if rng.random() < 0.08:
            extra = rng.choice(MEDICAL)
            if extra.flag != s.medical[0].flag:
                s.medical.append(extra)
    adapted = next(c for c in classes if c.subject == "Adapted PE")
    candidates = [s for s in free if s.school == adapted.school and s.grade == adapted.grade]
    for s in rng.sample(candidates, ADAPTED_PE_SIZE):
        s.classes.append(adapted.index)
        s.adaptations = [rng.choice(ADAPTATIONS)]
    mild = [a for a in ADAPTATIONS if not a.startswith(("Wheelchair", "Prosthetic"))]  # the rest: Adapted PE only
    for s in rng.sample([s for s in free if not s.adaptations], 18):
        s.adaptations = [rng.choice(mild)]
    drivers = next(c for c in classes if c.subject == "Drivers Ed")
    candidates = [s for s in free if s.school == drivers.school and s.grade == drivers.grade]
    for s in rng.sample(candidates, DRIVERS_ED_SIZE):
        s.classes.append(drivers.index)
    alex = {c.index for c in classes if c.teacher_email == DEMO.alex.email}
    in_alex = [s for s in free if s.classes[0] in alex]
    elsewhere = [s for s in free if s.classes[0] not in alex]
    for s in rng.sample(in_alex, 2) + rng.sample(elsewhere, CHRONIC_ABSENTEES - 2):
        s.chronic = True
    for s in rng.sample(free, round(0.05 * len(students))):
        s.never_assessed = True
    primary_classes = [c.index for c in classes if c.size > 0]
    pair_classes = [sorted(alex)[1], *rng.sample(primary_classes, 5)]
    for ci in pair_classes:
        pool = [s for s in free if s.classes[0] == ci and not s.keep_apart]
        a, b = rng.sample(pool, 2)
        a.keep_apart.append(b.index)
        b.keep_apart.append(a.index)


@dataclass
class PeopleIds:
    district: int
    schools: dict[str, int]  # by name
    staff: dict[str, int]  # by e-mail
    classes: list[int]  # by class index
    students: list[int]  # by student index


async def insert_district(session: AsyncSession) -> tuple[int, dict[str, int]]:
    (district,) = await insert_returning_ids(session, District, [{"name": DEMO.district}])
    rows = [{"district_id": district, "name": s.name, "code": s.code, "time_zone": TIME_ZONE,
             "grade_low": s.grade_low, "grade_high": s.grade_high, "supervision_ratio": 30} for s in SCHOOLS]
    ids = await insert_returning_ids(session, School, rows)
    return district, {s.name: i for s, i in zip(SCHOOLS, ids, strict=True)}


async def insert_staff(session: AsyncSession, schools: dict[str, int]) -> dict[str, int]:
    rows = [{"school_id": schools[s.school], "tenant_id": PLAYGROUND_TENANT_ID, "aad_object_id": s.aad_object_id,
             "email": s.email, "display_name": s.display_name, "role": s.role, "active": True,
             "escalation_rank": s.escalation_rank, "created_at": SEEDED_AT} for s in STAFF]
    ids = await insert_returning_ids(session, Staff, rows)
    return {s.email: i for s, i in zip(STAFF, ids, strict=True)}


async def insert_classes(session: AsyncSession, plan: PeoplePlan, schools: dict[str, int],
                         staff: dict[str, int]) -> list[int]:
    rows = [{"school_id": schools[c.school], "teacher_id": staff[c.teacher_email], "name": c.name,
             "subject": c.subject, "grade": c.grade, "period": str(c.period), "location": c.location,
             "current_unit": c.units[-1], "meeting_days": list(c.weekdays), "starts_at": PERIOD_START[c.period],
             "minutes": 50} for c in plan.classes]
    return await insert_returning_ids(session, SchoolClass, rows)


async def insert_students(session: AsyncSession, plan: PeoplePlan, schools: dict[str, int]) -> list[int]:
    rows = [{"school_id": schools[s.school], "student_number": s.number, "first_name": s.first, "last_name": s.last,
             "preferred_name": s.preferred, "grade": s.grade, "date_of_birth": s.dob, "sex": s.sex,
             "address": s.address, "directory_opt_out": s.opt_out, "medical_flags": [m.flag for m in s.medical],
             "adaptations": s.adaptations, "created_at": SEEDED_AT} for s in plan.students]
    return await insert_returning_ids(session, Student, rows)


async def insert_guardians(session: AsyncSession, plan: PeoplePlan, students: list[int]) -> int:
    rows = [{"student_id": students[s.index], **g, "preferred_language": guardian_language(s.number, g["priority"])}
            for s in plan.students for g in s.guardians]
    await insert_rows(session, Guardian, rows)
    return len(rows)


async def insert_enrollments(session: AsyncSession, plan: PeoplePlan, classes: list[int], students: list[int]) -> int:
    rows = []
    for s in plan.students:
        for n, ci in enumerate(s.classes):
            apart = [students[i] for i in s.keep_apart] if n == 0 else []
            rows.append({"class_id": classes[ci], "student_id": students[s.index], "keep_apart_from": apart})
    await insert_rows(session, Enrollment, rows)
    return len(rows)


SPANISH_HOMES = {"S109005"}  # Eli Navarro's family reads Spanish (the demo's message-home example)


def guardian_language(student_number: str, priority: int) -> str | None:
    """A guardian's preferred language in the demo: decided by a hash, not the seed's random stream (adding it left
    every other seeded value as it was). About 1 in 6 families Spanish, a few Vietnamese; the rest not recorded."""
    if student_number in SPANISH_HOMES:
        return "es"
    roll = int(hashlib.sha256(f"{student_number}:{priority}".encode()).hexdigest()[:4], 16) % 100
    return "es" if roll < 16 else "vi" if roll < 19 else None
