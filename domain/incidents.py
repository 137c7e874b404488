"""Incidents: validated drafts, confirmed writes (idempotent, atomic with their alerts), and reads by role."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.authorization import student_visible
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.models import Enrollment, Incident, SchoolClass, Severity, Staff, Student
from domain.validation import validate_fields

IncidentType = Literal["injury", "head_injury", "illness", "allergic_reaction", "breathing", "behavior", "near_miss",
                       "other"]
INCIDENT_TYPES: tuple[str, ...] = IncidentType.__args__  # type: ignore[attr-defined]
FUTURE_TOLERANCE = timedelta(minutes=5)
OLDEST = timedelta(days=30)

AfterCreate = Callable[[AsyncSession, Incident], Awaitable[None]]


class IncidentDraft(BaseModel):
    """What a confirmed incident must contain. Card submissions and model proposals both end here."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    student_id: int = Field(gt=0)
    occurred_at: datetime
    location: str = Field(min_length=1, max_length=120)
    activity: str = Field(min_length=1, max_length=120)
    incident_type: IncidentType
    severity: Severity
    description: str = Field(min_length=3, max_length=4000)
    injuries: str | None = Field(default=None, max_length=2000)
    action_taken: str | None = Field(default=None, max_length=2000)
    witnesses: str | None = Field(default=None, max_length=500)
    follow_up: str | None = Field(default=None, max_length=1000)

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone")
        return value


def time_problem(occurred_at: datetime, now: datetime) -> str | None:
    """The one rule for when an incident may have happened (card, chat proposal and save alike): not in the future
    (beyond a few minutes of clock skew), and not older than 30 days (those are filed with the office)."""
    if occurred_at > now + FUTURE_TOLERANCE:
        return "An incident can't be in the future."
    if occurred_at < now - OLDEST:
        return "Older than 30 days: file it with the office."
    return None


def validate_draft(data: dict[str, object], now: datetime) -> IncidentDraft:
    """Validate untrusted input; every problem is reported per field (``InvalidInput.field_errors``)."""
    draft = validate_fields(IncidentDraft, data)
    problem = time_problem(draft.occurred_at, now)
    if problem:
        raise InvalidInput("Some fields need attention.", {"occurred_at": problem})
    return draft


@dataclass(frozen=True, slots=True)
class SavedIncident:
    id: int
    created: bool  # False when the idempotency key had already been used
    student_name: str
    severity: Severity
    occurred_at: datetime
    reporter_name: str


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    id: int
    occurred_at: datetime
    incident_type: str
    severity: Severity
    activity: str
    description: str


class IncidentService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], after_create: Sequence[AfterCreate] = ()) -> None:
        self._sessions = sessions
        self._after_create = list(after_create)

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex

    async def default_place(self, actor: Actor, student_id: int, at: datetime) -> tuple[str, str] | None:
        """(location, current unit) of the caller's class the student is in, for prefilling a proposal."""
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(SchoolClass.location, SchoolClass.current_unit)
                    .join(Enrollment, Enrollment.class_id == SchoolClass.id)
                    .where(Enrollment.student_id == student_id, SchoolClass.teacher_id == actor.staff_id)
                    .order_by(SchoolClass.starts_at)
                    .limit(1)
                )
            ).first()
        return (row[0], row[1] or "") if row else None

    async def create(self, actor: Actor, draft: IncidentDraft, idempotency_key: str, *, via: str) -> SavedIncident:
        """Save a confirmed incident with its alert outbox rows, all in one transaction; a repeated key saves
        nothing more and returns the first save."""
        if not idempotency_key or len(idempotency_key) > 80:
            raise InvalidInput("This form has expired; open a new one.")
        async with self._sessions() as session:
            visible = await session.scalar(
                select(Student.id).where(Student.id == draft.student_id, student_visible(actor))
            )
        if visible is None:
            await audit.record_refusal(
                self._sessions, actor, action="incident.create", subject_type="student",
                subject_ids=[draft.student_id], via=via, reason="student not in caller's scope",
            )
            raise NotAllowed("You can only report incidents for students in your classes.")
        async with unit_of_work(self._sessions) as session:
            student = (await session.execute(select(Student).where(Student.id == draft.student_id))).scalar_one()
            stmt = (
                insert(Incident)
                .values(
                    school_id=student.school_id,
                    student_id=student.id,
                    reporter_id=actor.staff_id,
                    idempotency_key=idempotency_key,
                    **draft.model_dump(exclude={"student_id"}),
                )
                .on_conflict_do_nothing(index_elements=[Incident.idempotency_key])
                .returning(Incident.id)
            )
            new_id = (await session.execute(stmt)).scalar_one_or_none()
            if new_id is None:
                existing = await self._by_key(session, idempotency_key)
                if existing.reporter_id != actor.staff_id:
                    raise NotAllowed("This form was already used by someone else.")
                return await self._saved(session, existing, created=False)
            incident = (await session.execute(select(Incident).where(Incident.id == new_id))).scalar_one()
            await audit.record(
                session, actor, action="incident.create", subject_type="student",
                subject_ids=[student.id], via=via, allowed=True,
            )
            for hook in self._after_create:
                await hook(session, incident)
            return await self._saved(session, incident, created=True)

    async def recent_for_student(self, actor: Actor, student_id: int, *, limit: int = 5,
                                 via: str) -> list[IncidentSummary]:
        async with self._sessions() as session:
            visible = await session.scalar(select(Student.id).where(Student.id == student_id, student_visible(actor)))
        if visible is None:
            await audit.record_refusal(
                self._sessions, actor, action="incident.read", subject_type="student",
                subject_ids=[student_id], via=via, reason="student not in caller's scope",
            )
            raise NotFound("No student by that name in your classes.")
        async with unit_of_work(self._sessions) as session:
            rows = (
                await session.execute(
                    select(Incident).where(Incident.student_id == student_id)
                    .order_by(Incident.occurred_at.desc()).limit(limit)
                )
            ).scalars().all()
            await audit.record(
                session, actor, action="incident.read", subject_type="student", subject_ids=[student_id],
                via=via, allowed=True,
            )
            return [
                IncidentSummary(r.id, r.occurred_at, r.incident_type, r.severity, r.activity, r.description)
                for r in rows
            ]

    @staticmethod
    async def _by_key(session: AsyncSession, key: str) -> Incident:
        return (await session.execute(select(Incident).where(Incident.idempotency_key == key))).scalar_one()

    @staticmethod
    async def _saved(session: AsyncSession, incident: Incident, *, created: bool) -> SavedIncident:
        student = await session.get(Student, incident.student_id) if incident.student_id else None
        reporter = await session.get(Staff, incident.reporter_id) if incident.reporter_id else None
        return SavedIncident(
            id=incident.id,
            created=created,
            student_name=student.display_name if student else "—",
            severity=incident.severity,
            occurred_at=incident.occurred_at,
            reporter_name=reporter.display_name if reporter else "—",
        )


@dataclass(frozen=True, slots=True)
class IncidentProposal:
    """An unsaved incident shown on an editable card; ``key`` makes its Save idempotent."""

    key: str
    student_id: int
    student_name: str
    occurred_at: datetime
    location: str
    activity: str
    incident_type: str | None
    severity: Severity | None
    description: str
    injuries: str | None = None
    action_taken: str | None = None
