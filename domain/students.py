"""Student look-up, scoped to what the caller may see, with an audit row for every record read or refused."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sqlalchemy import ColumnElement, Select, not_, or_, select
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible, field_access, student_visible
from domain.db import autocommit, driver_connection
from domain.errors import InvalidInput
from domain.models import Enrollment, School, SchoolClass, Student
from domain.names import MATCH_THRESHOLD, NameIndex, NameParts, name_index, normalize
from domain.student_profile import profile_params, profile_sql

STUDENT_NUMBER = re.compile(r"^[Ss]\d{4,9}$")
MAX_QUERY_CHARS = 120
MAX_CANDIDATES = 5
NAME_CACHE_S = 300.0
# The names a caller may look up are matched against a roster kept this long per caller; whether a matched student
# may still be read is re-checked in SQL by every query that returns their data, so a roster change is never a leak,
# at worst a student added to a class in the last few seconds is not found yet.
ROSTER_CACHE_S = 30.0


@dataclass(frozen=True, slots=True)
class StudentSummary:
    id: int
    display_name: str
    grade: int
    student_number: str
    classes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EmergencyContact:
    name: str
    relationship: str
    phone: str | None


@dataclass(frozen=True, slots=True)
class StudentProfile:
    summary: StudentSummary
    medical_flags: tuple[str, ...]
    adaptations: tuple[str, ...]
    emergency_contact: EmergencyContact | None
    # Restricted (nurse/admin); None when the caller may not see them.
    date_of_birth: date | None = None
    address: str | None = None
    health_notes: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class StudentLookup:
    status: Literal["found", "ambiguous", "not_found"]
    query: str
    profile: StudentProfile | None = None
    candidates: tuple[StudentSummary, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class _RosterRow:
    id: int
    name: NameParts
    display_name: str
    grade: int
    student_number: str


class StudentService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._name_cache: dict[int, tuple[float, list[NameParts]]] = {}
        self._rosters: dict[tuple[int, str, int], tuple[float, list[_RosterRow]]] = {}

    async def parsing_names(self, actor: Actor) -> list[NameParts]:
        """Every student name in the caller's district, only for recognising a name in an utterance (the offline
        planner). Never shown: whether a name may be read is decided by ``find``, which audits. Cached briefly."""
        cached = self._name_cache.get(actor.school_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with self._sessions() as session:
            district = select(School.district_id).where(School.id == actor.school_id).scalar_subquery()
            rows = await session.execute(
                select(Student.first_name, Student.last_name, Student.preferred_name)
                .join(School, School.id == Student.school_id)
                .where(School.district_id == district, Student.active.is_(True))
            )
            names = [NameParts(first, last, preferred) for first, last, preferred in rows]
        self._name_cache[actor.school_id] = (time.monotonic() + NAME_CACHE_S, names)
        return names

    async def roster(self, actor: Actor, *, limit: int = 400) -> list[tuple[int, str, int]]:
        """(id, display name, grade) of the students the caller may see, by name (for card pickers)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Student.id, Student.first_name, Student.preferred_name, Student.last_name, Student.grade)
                .where(student_visible(actor))
                .order_by(Student.last_name, Student.first_name)
                .limit(limit)
            )
            return [(i, display_name(f, p, last), g) for i, f, p, last, g in rows]

    async def find(self, actor: Actor, query: str, *, class_hint: str | None = None, via: str) -> StudentLookup:
        """Find one student by name (fuzzy) or student number among those the caller may see.

        Ambiguity returns the candidates (never a guess); no match in scope returns ``not_found`` with the same
        answer whether or not the student exists elsewhere, and a refused attempt is audited.
        """
        query = " ".join(query.split())
        if not query or len(query) > MAX_QUERY_CHARS:
            raise InvalidInput(f"Give a student's name or number (up to {MAX_QUERY_CHARS} characters).")
        # Each statement commits on its own (reads, audit inserts): the profile and its audit row are one statement.
        matches = await self._match(actor, query, class_hint, in_scope=True)
        if not matches:
            refused = await self._match(actor, query, None, in_scope=False)
            await self._refusal(actor, [r.id for r in refused], via)
            return StudentLookup(status="not_found", query=query)
        if len(matches) > 1:
            async with autocommit(self._sessions) as session:
                summaries = await self._summaries(session, actor, matches[:MAX_CANDIDATES])
                visible = {s.id for s in summaries}
                # those who left the caller's classes since the roster was read drop out here
                matches = [m for m in matches[:MAX_CANDIDATES] if m.id in visible] or matches[:MAX_CANDIDATES]
                if len(matches) > 1 and visible:
                    await audit.record(
                        session, actor, action="student.list", subject_type="student",
                        subject_ids=[s.id for s in summaries], via=via, allowed=True, reason="ambiguous name",
                    )
                    return StudentLookup(status="ambiguous", query=query, candidates=tuple(summaries))
            if not visible:
                await self._refusal(actor, [r.id for r in matches], via)
                return StudentLookup(status="not_found", query=query)
        profile = await self._profile(actor, matches[0], via)  # audited in the same statement
        if profile is None:  # left the caller's classes since the roster was read
            await self._refusal(actor, [r.id for r in matches], via)
            return StudentLookup(status="not_found", query=query)
        return StudentLookup(status="found", query=query, profile=profile)

    async def _refusal(self, actor: Actor, student_ids: list[int], via: str) -> None:
        async with autocommit(self._sessions) as session:
            await audit.record(
                session, actor, action="student.read", subject_type="student", subject_ids=student_ids, via=via,
                allowed=False, reason="not in the caller's classes or school",
            )

    async def _match(self, actor: Actor, query: str, class_hint: str | None, *, in_scope: bool) -> list[_RosterRow]:
        def statement() -> Select:  # type: ignore[type-arg]
            visible = student_visible(actor)
            return select(
                Student.id,
                Student.first_name,
                Student.last_name,
                Student.preferred_name,
                Student.grade,
                Student.student_number,
            ).where(visible if in_scope else not_(visible))

        if STUDENT_NUMBER.match(query):
            return await self._rows(statement().where(Student.student_number == query.upper()))
        if class_hint and in_scope:
            roster = await self._rows(statement().where(Student.id.in_(self._hinted_students(actor, class_hint))))
            index = NameIndex([r.name for r in roster])  # a one-off list: not kept in the shared index cache
        elif in_scope:
            roster = await self._roster_rows(actor, statement)
            index = name_index(roster, _name_of)  # the cached roster's index is built once
        else:
            roster = await self._rows(statement())
            index = NameIndex([r.name for r in roster])
        scored = sorted(
            ((score, roster[i]) for score, i in index.scores_at_least(query, MATCH_THRESHOLD)),
            key=lambda pair: (-pair[0], pair[1].display_name),
        )
        if not scored:
            return []
        best = scored[0][0]
        margin = 3.0 if best >= 97 else 5.0
        return [r for s, r in scored if s >= best - margin]

    async def _rows(self, statement: Select) -> list[_RosterRow]:  # type: ignore[type-arg]
        async with autocommit(self._sessions) as session:
            return [_row(r) for r in (await session.execute(statement)).all()]

    async def _roster_rows(
        self, actor: Actor, statement: Callable[[], Select]  # type: ignore[type-arg]
    ) -> list[_RosterRow]:
        key = (actor.staff_id, actor.role, actor.school_id)
        now = time.monotonic()
        cached = self._rosters.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        rows = await self._rows(statement())
        if len(self._rosters) > 4096:
            self._rosters = {k: v for k, v in self._rosters.items() if v[0] > now}
        self._rosters[key] = (now + ROSTER_CACHE_S, rows)
        return rows

    @staticmethod
    def _hinted_students(actor: Actor, class_hint: str) -> Select[int]:
        """Students of the caller's classes whose name contains the hint, or whose period the hint names."""
        conditions: list[ColumnElement[bool]] = [SchoolClass.name.ilike(f"%{class_hint.strip()}%")]
        period = re.search(r"(?:period|p)\s*(\d+)", normalize(class_hint))
        if period:
            conditions.append(SchoolClass.period == period.group(1))
        chosen = select(SchoolClass.id).where(class_visible(actor), or_(*conditions))
        return select(Enrollment.student_id).where(Enrollment.class_id.in_(chosen))

    async def _summaries(self, session: AsyncSession, actor: Actor, rows: list[_RosterRow]) -> list[StudentSummary]:
        """Summaries of those of ``rows`` the caller may see now (re-checked here), with their visible classes."""
        ids = [r.id for r in rows]
        visible_classes = (
            select(Enrollment.student_id, SchoolClass.name, SchoolClass.period)
            .join(SchoolClass, SchoolClass.id == Enrollment.class_id)
            .where(class_visible(actor))
            .subquery()
        )
        class_rows: Result[int, str | None] = await session.execute(
            select(Student.id, visible_classes.c.name)
            .outerjoin(visible_classes, visible_classes.c.student_id == Student.id)
            .where(Student.id.in_(ids), student_visible(actor))
            .order_by(visible_classes.c.period)
        )
        classes: dict[int, list[str]] = {}
        for student_id, name in class_rows:
            names = classes.setdefault(int(student_id), [])
            if name is not None:
                names.append(str(name))
        return [
            StudentSummary(r.id, r.display_name, r.grade, r.student_number, tuple(classes[r.id]))
            for r in rows
            if r.id in classes
        ]

    async def _profile(self, actor: Actor, row: _RosterRow, via: str) -> StudentProfile | None:
        """The profile, read and audited in one statement; None (and no audit row) when the caller may no longer
        see this student."""
        access = field_access(actor)
        async with driver_connection(self._sessions) as connection:
            student = await profile_sql(actor).fetchrow(connection, **profile_params(actor, row.id, via))
        if student is None:
            return None
        summary = StudentSummary(
            student["id"], display_name(student["first_name"], student["preferred_name"], student["last_name"]),
            student["grade"], student["student_number"], tuple(student["class_names"]),
        )
        contact = (
            EmergencyContact(student["contact_name"], student["relationship_to_student"], student["phone"])
            if access.safety_fields and student["contact_name"] is not None
            else None
        )
        return StudentProfile(
            summary=summary,
            medical_flags=tuple(student["medical_flags"] or ()) if access.safety_fields else (),
            adaptations=tuple(student["adaptations"] or ()),
            emergency_contact=contact,
            date_of_birth=student["date_of_birth"] if access.restricted_fields else None,
            address=student["address"] if access.restricted_fields else None,
            health_notes=tuple(student["health_notes"]) if access.restricted_fields else None,
        )


def display_name(first: str, preferred: str | None, last: str) -> str:
    """How a student is named to staff: the preferred first name when there is one."""
    return f"{preferred or first} {last}"


def _name_of(row: _RosterRow) -> NameParts:
    return row.name


def _row(r) -> _RosterRow:  # type: ignore[no-untyped-def]
    name = NameParts(r.first_name, r.last_name, r.preferred_name)
    return _RosterRow(
        id=r.id,
        name=name,
        display_name=display_name(r.first_name, r.preferred_name, r.last_name),
        grade=r.grade,
        student_number=r.student_number,
    )
