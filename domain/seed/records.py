"""Per-student records for the term: attendance, activities, skills, fitness, health notes, drivers-ed progress.

Each ``*_rows`` function is pure given the ``Random``; the ids it needs are passed in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.seed.catalog import FITNESS_TESTS, UNITS, healthy_min
from domain.seed.facts import TERM_END, TZ, term_days
from domain.seed.people import ClassPlan, PeoplePlan, StudentPlan

WEEKS = 13
PRESENT = ("present", "tardy")


def unit_index(week: int) -> int:
    """Weeks 0-3 first unit, 4-8 second, 9-12 the current unit."""
    return 0 if week < 4 else (1 if week < 9 else 2)


@dataclass
class Calendar:
    """Meeting days and rosters per class, and every attendance status."""

    days: dict[int, list[date]]  # class index -> meeting days
    rosters: dict[int, list[StudentPlan]]  # class index -> students
    status: dict[tuple[int, int, date], str]  # (class index, student index, day) -> status

    def weeks(self, ci: int) -> list[list[date]]:
        start = term_days()[0]
        out: list[list[date]] = [[] for _ in range(WEEKS)]
        for d in self.days[ci]:
            out[(d - start).days // 7].append(d)
        return out

    def present(self, ci: int, si: int, day: date) -> bool:
        return self.status.get((ci, si, day)) in PRESENT


def plan_attendance(rng: random.Random, plan: PeoplePlan) -> Calendar:
    all_days = term_days()
    days = {c.index: [d for d in all_days if d.weekday() in c.weekdays] for c in plan.classes}
    rosters: dict[int, list[StudentPlan]] = {c.index: [] for c in plan.classes}
    for s in plan.students:
        for ci in s.classes:
            rosters[ci].append(s)
    status: dict[tuple[int, int, date], str] = {}
    for c in plan.classes:
        meet = days[c.index]
        n = len(meet)
        for s in rosters[c.index]:
            if s.chronic:
                missed = round(n * rng.uniform(0.15, 0.25))
            else:  # capped so that only the chosen few fall below 90 %
                missed = min(rng.choices((0, 1, 2, 3, 4, 5), weights=(30, 28, 18, 12, 7, 5))[0], int(n * 0.08))
            tardy = rng.choices((0, 1, 2, 3), weights=(50, 25, 15, 10))[0]
            picked = rng.sample(range(n), missed + tardy)
            marks = {i: ("excused" if rng.random() < 0.4 else "absent") for i in picked[:missed]}
            marks.update({i: "tardy" for i in picked[missed:]})
            for i, day in enumerate(meet):
                status[(c.index, s.index, day)] = marks.get(i, "present")
    return Calendar(days, rosters, status)


def attendance_rows(cal: Calendar, classes: list[int], students: list[int]) -> list[dict[str, Any]]:
    return [{"class_id": classes[ci], "student_id": students[si], "day": day, "status": st}
            for (ci, si, day), st in cal.status.items()]


def _is_pe(c: ClassPlan) -> bool:
    return c.subject != "Drivers Ed"


def _minutes(rng: random.Random, c: ClassPlan) -> int:
    return rng.randint(25, 30) if c.grade <= 5 else (rng.randint(35, 42) if c.grade <= 8 else rng.randint(40, 48))


@dataclass
class ActivityPlan:
    class_index: int
    day: date
    name: str
    unit: str
    minutes: int


def plan_activities(rng: random.Random, plan: PeoplePlan, cal: Calendar) -> list[ActivityPlan]:
    out = []
    for c in filter(_is_pe, plan.classes):
        for week, days in enumerate(cal.weeks(c.index)):
            if days:
                unit = c.units[unit_index(week)]
                out.append(ActivityPlan(c.index, days[0], rng.choice(UNITS[unit].activities), unit, _minutes(rng, c)))
    return out


def activity_rows(acts: list[ActivityPlan], classes: list[int]) -> list[dict[str, Any]]:
    return [{"class_id": classes[a.class_index], "day": a.day, "name": a.name, "unit": a.unit, "minutes": a.minutes}
            for a in acts]


def participation_rows(rng: random.Random, acts: list[ActivityPlan], cal: Calendar, activity_ids: list[int],
                       students: list[int]) -> list[dict[str, Any]]:
    rows = []
    for act, act_id in zip(acts, activity_ids, strict=True):
        for s in cal.rosters[act.class_index]:
            st = cal.status[(act.class_index, s.index, act.day)]
            if st not in PRESENT:
                continue
            active = act.minutes - rng.randint(0, 6) - (rng.randint(5, 12) if st == "tardy" else 0)
            if s.adaptations or s.medical:
                active -= rng.randint(0, 8)
            rows.append({"activity_id": act_id, "student_id": students[s.index], "minutes_active": max(active, 5)})
    return rows


def skill_rows(rng: random.Random, plan: PeoplePlan, cal: Calendar, classes: list[int], students: list[int],
               staff: dict[str, int]) -> list[dict[str, Any]]:
    """Finished units: every skill, at the unit's last lesson. Current unit: the first skill, for about 2/3."""
    rows = []
    for c in filter(_is_pe, plan.classes):
        weeks = cal.weeks(c.index)
        sessions = [(0, weeks[3][-1], None), (1, weeks[8][-1], None), (2, weeks[11][0], 1)]
        for ui, day, only in sessions:
            unit = c.units[ui]
            for s in cal.rosters[c.index]:
                if s.never_assessed or (only and rng.random() < 0.35):
                    continue
                for skill in UNITS[unit].skills[: only or None]:
                    if rng.random() < 0.08:
                        continue
                    level = round(2.4 + 0.2 * ui + 0.75 * s.skill + rng.gauss(0, 0.6))
                    rows.append({"student_id": students[s.index], "class_id": classes[c.index],
                                 "assessor_id": staff[c.teacher_email], "skill": skill, "unit": unit,
                                 "level": min(max(level, 1), 4), "assessed_on": day})
    return rows


def age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


_CAPS = {"pacer": 110, "push_ups": 50, "curl_ups": 75, "trunk_lift": 12, "sit_and_reach_left": 12,
         "sit_and_reach_right": 12}
_HALF_INCHES = ("trunk_lift", "sit_and_reach_left", "sit_and_reach_right")


def fitness_rows(rng: random.Random, plan: PeoplePlan, cal: Calendar, students: list[int]) -> list[dict[str, Any]]:
    """Fall testing, grades 4+: PACER on the first test day, strength next, flexibility last; absentees make up once."""
    rows = []
    # The tests added with the published battery draw from their own generator, so the shared one advances exactly
    # as before and every later part of the demo (equipment, incidents) stays the same.
    extra = random.Random(2026_21)  # noqa: S311 - reproducible demo data, not a secret
    for c in filter(lambda c: c.subject == "PE" and c.grade >= 4, plan.classes):
        weeks = cal.weeks(c.index)
        test_days = weeks[2] + weeks[3]
        plan_days = {"pacer": test_days[0], "push_ups": test_days[1], "curl_ups": test_days[1],
                     "trunk_lift": test_days[2], "sit_and_reach_left": test_days[2],
                     "sit_and_reach_right": test_days[2]}
        for s in cal.rosters[c.index]:
            for test, unit in FITNESS_TESTS:
                day = plan_days[test]
                if not cal.present(c.index, s.index, day):
                    day = test_days[3]
                    if not cal.present(c.index, s.index, day):
                        continue  # never made up: a gap the widgets should show
                spread = (0.1, 0.18) if test in _HALF_INCHES else (0.25, 0.15)
                draw = extra if test in ("trunk_lift", "sit_and_reach_right") else rng
                factor = math.exp(spread[0] * s.fitness + 0.18 + draw.gauss(0, spread[1]))
                value = min(healthy_min(test, s.sex, age_on(s.dob, day)) * factor, _CAPS[test])
                value = round(value * 2) / 2 if test in _HALF_INCHES else float(round(value))
                rows.append({"student_id": students[s.index], "test": test, "value": value, "unit": unit,
                             "tested_on": day})
    return rows


def health_note_rows(rng: random.Random, plan: PeoplePlan, students: list[int],
                     nurses: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for s in plan.students:
        for m in s.medical:
            written = datetime.combine(date(2026, 8, 10) + timedelta(days=rng.randrange(40)),
                                       time(rng.randint(8, 14), rng.choice((0, 15, 30, 45))), TZ)
            rows.append({"student_id": students[s.index], "author_id": nurses[s.school], "category": m.category,
                         "note": m.note, "valid_until": m.valid_until, "created_at": written})
    return rows


def drivers_ed_rows(rng: random.Random, plan: PeoplePlan, cal: Calendar, students: list[int]) -> list[dict[str, Any]]:
    """Classroom hours follow attendance (50-minute periods); behind-the-wheel hours are booked separately."""
    cls = next(c for c in plan.classes if c.subject == "Drivers Ed")
    updated = datetime.combine(TERM_END, time(16, 0), TZ)
    rows = []
    for s in cal.rosters[cls.index]:
        attended = sum(cal.present(cls.index, s.index, d) for d in cal.days[cls.index])
        classroom = round(attended * 50 / 60, 1)
        rows.append({"student_id": students[s.index], "classroom_hours": classroom,
                     "behind_wheel_hours": rng.choice((0.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0)),
                     "units_completed": min(10, int(classroom // 3)), "units_required": 10, "updated_at": updated})
    return rows
