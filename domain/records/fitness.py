"""Fitness-test results (the FitnessGram battery): a card for a class or for the students named in chat, validated
per student, saved in one transaction with the card's key, and each result placed in the Healthy Fitness Zone from
the bands stored as data. Results are a student's health information: only their teacher, the school's nurse and
admins record or see them; they are shown in roster order, never ranked."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, and_, cast, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible, student_visible
from domain.errors import InvalidInput, NotAllowed
from domain.models import Enrollment, FitnessBand, FitnessTest, SchoolClass, Student
from domain.records.classes import resolve_class
from domain.records.common import check_key, claim
from domain.records.fitness_bands import TESTS, TestSpec
from domain.records.roster_names import RosterName, match
from domain.records.terms import TermWindow, current_term, local_today, term_error
from domain.validation import SUMMARY

OLDEST = timedelta(days=60)
MAX_STUDENTS = 300
REFUSAL = "You can only record fitness results for students in your classes."
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)$")


def parse_value(spec: TestSpec, raw: str) -> float:
    """A typed result → the stored number (the mile as seconds); ValueError says what is wrong."""
    raw = raw.strip().lower().removesuffix("laps").removesuffix("in").removesuffix('"').strip()
    if spec.name == "mile_run":
        clock = _CLOCK.match(raw)
        if not clock:
            raise ValueError("Give the time as minutes:seconds, e.g. 9:45.")
        value = float(int(clock.group(1)) * 60 + int(clock.group(2)))
    else:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("Give a number.") from None
    if not spec.low <= value <= spec.high:
        def shown(v: float) -> str:
            return f"{int(v) // 60}:{int(v) % 60:02d}" if spec.name == "mile_run" else f"{v:g}"

        raise ValueError(f"Must be between {shown(spec.low)} and {shown(spec.high)}.")
    if (value / spec.step) != int(value / spec.step):
        raise ValueError("Whole numbers only." if spec.step == 1 else "To the nearest half inch.")
    return value


def value_text(test: str, value: float) -> str:
    if test == "mile_run":
        return f"{int(value) // 60}:{int(value) % 60:02d}"
    return f"{value:g} {TESTS[test].unit}" if test in TESTS else f"{value:g}"


@dataclass(frozen=True, slots=True)
class FitnessDraft:
    class_id: int | None
    test: str
    day: date
    results: tuple[tuple[int, float], ...]  # (student id, value)


def validate_fitness(data: dict[str, object], today: date) -> FitnessDraft:
    """``{"class_id", "test", "day", "values": {student id: typed text}}`` → a draft; every problem is reported
    per field (``test``, ``day``, ``student_<id>``) and nothing is saved."""
    errors: dict[str, str] = {}
    test = str(data.get("test") or "")
    spec = TESTS.get(test)
    if spec is None:
        errors["test"] = "Pick a test."
    try:
        day = date.fromisoformat(str(data.get("day") or ""))
        if day > today:
            errors["day"] = "A test can't be recorded for a future date."
        elif day < today - OLDEST:
            errors["day"] = "More than 60 days ago: ask the office to enter it."
    except ValueError:
        day = today
        errors["day"] = "Give a valid date."
    results = []
    raw_values = data.get("values") or {}
    assert isinstance(raw_values, dict)
    for sid, raw in raw_values.items():
        if not str(raw).strip():
            continue  # left blank: not tested today
        if spec is None:
            continue
        try:
            results.append((int(sid), parse_value(spec, str(raw))))
        except ValueError as exc:
            errors[f"student_{sid}"] = str(exc)
    if not results and not errors:
        errors["form"] = "Enter at least one result."
    if len(results) > MAX_STUDENTS:
        errors["form"] = "Too many results on one card."
    if errors:
        raise InvalidInput(SUMMARY, errors)
    class_id = data.get("class_id")
    return FitnessDraft(int(class_id) if class_id else None, test, day, tuple(results))  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class FitnessSheet:
    """A fitness card: one test, one input per student (a class's roster, or the students named in chat)."""

    key: str
    test: str | None
    day: date
    class_id: int | None
    title: str  # the class's name, or "your students"
    lines: tuple[tuple[int, str, str], ...]  # (student id, name, prefilled text)
    unmatched: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SavedFitness:
    created: bool
    test: str
    day: date
    count: int
    zones: tuple[tuple[str, str, str], ...]  # (name, result, zone) in roster order: never ranked
    in_zone: int = 0


class FitnessService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], terms: Sequence[TermWindow] = ()) -> None:
        self._sessions = sessions
        self._terms = tuple(terms)  # the SCHOOL_TERMS setting (domain.records.terms)

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex

    async def sheet(
        self, actor: Actor, *, test: str | None, class_text: str | None, day: date, now: datetime, via: str,
        results: Sequence[tuple[str, str]] = (), class_id: int | None = None, key: str | None = None,
    ) -> FitnessSheet:
        """A class's roster (a class named, or none and no names) or the named students across the caller's
        classes, with the values from chat prefilled."""
        async with self._sessions() as session:
            if class_id is None and (class_text or not results):
                cls = await resolve_class(session, actor, class_text, now, via=via)
                class_id = cls.id
            roster, title = await self._roster(session, actor, class_id)
            await audit.record(session, actor, action="fitness.read", subject_type="class" if class_id else "school",
                               subject_ids=[class_id or actor.school_id], via=via, allowed=True)
            await session.commit()
        values: dict[int, str] = {}
        unmatched = []
        for name, raw in results:
            sid = match(name, roster)
            if sid is None:
                unmatched.append(name)
            else:
                values[sid] = raw
        # named students only (no class): the card lists them in the order given
        chosen = [r for sid in values for r in roster if r.student_id == sid] if class_id is None else list(roster)
        lines = tuple((r.student_id, r.display, values.get(r.student_id, "")) for r in chosen)
        return FitnessSheet(key or self.new_key(), test if test in TESTS else None, day, class_id, title, lines,
                            tuple(unmatched))

    async def save(self, actor: Actor, draft: FitnessDraft, key: str, *, via: str,
                   today: date | None = None) -> SavedFitness:
        """``today``: the school's date (default: now in the caller's time zone), for the current term."""
        check_key(key)
        ids = [sid for sid, _ in draft.results]
        async with self._sessions() as session:
            visible = set((await session.execute(
                select(Student.id).where(Student.id.in_(ids), student_visible(actor)))).scalars())
            enrolled, allowed = set(ids), True
            if draft.class_id is not None:
                allowed = await session.scalar(select(SchoolClass.id).where(
                    SchoolClass.id == draft.class_id, class_visible(actor))) is not None
                enrolled = set((await session.execute(select(Enrollment.student_id).where(
                    Enrollment.class_id == draft.class_id, Enrollment.student_id.in_(ids)))).scalars()) \
                    if allowed else set()
        refused = [sid for sid in ids if sid not in visible]
        if refused or not allowed:
            await audit.record_refusal(self._sessions, actor, action="fitness.record", subject_type="student",
                                       subject_ids=refused or ids, via=via, reason="not in the caller's classes")
            raise NotAllowed(REFUSAL)
        strangers = {f"student_{sid}": "Not in this class." for sid in ids if sid not in enrolled}
        if strangers:
            raise InvalidInput(SUMMARY, strangers)
        unit = TESTS[draft.test].unit
        async with self._sessions() as session, session.begin():
            first = await claim(session, actor, key, "fitness", {"test": draft.test, "day": draft.day.isoformat(),
                                                                 "count": len(ids)})
            if first is not None:
                return SavedFitness(False, first["test"], date.fromisoformat(first["day"]), first["count"], ())
            class_of = await self._class_of(session, actor, ids, draft.class_id)
            outside = await term_error(session, set(class_of.values()), draft.day,
                                       current_term(self._terms, today or local_today(actor)))
            if outside:
                raise InvalidInput(SUMMARY, {"day": outside})  # rolls the claim back: nothing is saved
            await session.execute(insert(FitnessTest), [
                {"student_id": sid, "test": draft.test, "value": value, "unit": unit, "tested_on": draft.day,
                 "class_id": class_of.get(sid), "recorded_by": actor.staff_id} for sid, value in draft.results])
            await audit.record(session, actor, action="fitness.record", subject_type="student", subject_ids=ids,
                               via=via, allowed=True)
            zones = await self._zones(session, draft)
        return SavedFitness(True, draft.test, draft.day, len(ids), zones,
                            in_zone=sum(1 for z in zones if z[2] == IN_ZONE))

    async def names(self, actor: Actor, ids: list[int]) -> dict[int, str]:
        """Display names of these students, for re-showing a card (only those the caller may see)."""
        async with self._sessions() as session:
            rows = await session.execute(select(Student.id, Student.first_name, Student.preferred_name,
                                                Student.last_name).where(Student.id.in_(ids), student_visible(actor)))
            return {sid: f"{p or f} {last}" for sid, f, p, last in rows}

    async def _roster(self, session: AsyncSession, actor: Actor, class_id: int | None) -> tuple[list[RosterName], str]:
        stmt = select(Student.id, Student.first_name, Student.last_name, Student.preferred_name)
        if class_id is not None:
            name = await session.scalar(select(SchoolClass.name).where(SchoolClass.id == class_id))
            stmt = stmt.join(Enrollment, Enrollment.student_id == Student.id).where(Enrollment.class_id == class_id)
        else:
            name = "your students"
            stmt = stmt.where(student_visible(actor))
        rows = await session.execute(stmt.order_by(Student.last_name, Student.first_name, Student.id))
        return [RosterName(*r) for r in rows], str(name)

    @staticmethod
    async def _class_of(session: AsyncSession, actor: Actor, ids: list[int], class_id: int | None) -> dict[int, int]:
        if class_id is not None:
            return dict.fromkeys(ids, class_id)
        rows = await session.execute(
            select(Enrollment.student_id, func.min(Enrollment.class_id))
            .join(SchoolClass, SchoolClass.id == Enrollment.class_id)
            .where(Enrollment.student_id.in_(ids), class_visible(actor), SchoolClass.subject == "PE")
            .group_by(Enrollment.student_id))
        return {sid: cid for sid, cid in rows}

    @staticmethod
    async def _zones(session: AsyncSession, draft: FitnessDraft) -> tuple[tuple[str, str, str], ...]:
        """Each result with its zone, in roster (name) order."""
        age = func.least(cast(func.extract("year", func.age(draft.day, Student.date_of_birth)), Integer), 18)
        rows = await session.execute(
            select(Student.id, Student.first_name, Student.preferred_name, Student.last_name, FitnessBand.healthy_min,
                   FitnessBand.healthy_max)
            .outerjoin(FitnessBand, and_(FitnessBand.test == draft.test, FitnessBand.sex == Student.sex,
                                         FitnessBand.age == age))
            .where(Student.id.in_([sid for sid, _ in draft.results]))
            .order_by(Student.last_name, Student.first_name, Student.id))
        values = dict(draft.results)
        return tuple((f"{p or f} {last}", value_text(draft.test, values[sid]), zone(values[sid], low, high))
                     for sid, f, p, last, low, high in rows)


IN_ZONE, BELOW, NO_BAND = "Healthy Fitness Zone", "Needs Improvement", "no standard"


def zone(value: float, low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return NO_BAND
    ok = (low is None or value >= low) and (high is None or value <= high)
    return IN_ZONE if ok else BELOW


