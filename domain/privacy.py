"""Deleting a student (FERPA/GDPR-style erasure): every row about them, every trace of them, audited.

One SQL transaction removes the student and what hangs off them (enrollments, attendance, participation,
assessments, fitness tests, health notes, drivers-ed progress, guardians, incidents with their alerts and
deliveries), their id from other students' keep-apart lists, conversation memory that mentions them (tagged with
their id or naming them), and knowledge chunks naming them. Free text elsewhere that names them (another student's
incident, alert reasons, calendar events, message feedback, lesson plans, the stored text of uploaded documents) has
the name and student number replaced by ``[student removed]``: those rows belong to others and stay. The audit row of
the deletion commits with it; the audit log itself is append-only and holds ids only. Redis keys carrying their id
(``…:student:<id>``, ``…:student:<id>:…``) are removed after the commit. Only an admin of the student's school may
delete; a refusal is audited.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import Delete, Text, Update, cast, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from domain import audit
from domain.actor import Actor
from domain.db import unit_of_work
from domain.errors import NotAllowed, NotFound
from domain.models import (
    ActivityParticipation,
    Alert,
    Attendance,
    CalendarEvent,
    ConversationTurn,
    DriversEdProgress,
    Enrollment,
    FitnessTest,
    Guardian,
    HealthNote,
    Incident,
    KnowledgeChunk,
    KnowledgeUpload,
    LessonPlan,
    MessageFeedback,
    Role,
    SkillAssessment,
    Student,
)

log = logging.getLogger(__name__)

REDIS_PATTERNS = ("*student:{id}", "*student:{id}:*")
MIN_NAME_CHARS = 5  # shorter names are not searched in free text (too many false hits)
REDACTED = "[student removed]"


@dataclass(frozen=True, slots=True)
class StudentBrief:
    id: int
    display_name: str
    student_number: str
    grade: int


@dataclass(slots=True)
class DeletionReport:
    student_id: int
    rows: dict[str, int] = field(default_factory=dict)
    redis_keys: int = 0
    redis_ok: bool = True

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class PrivacyService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], redis: Redis | None = None) -> None:
        self._sessions = sessions
        self._redis = redis

    async def preview(self, actor: Actor, student_number: str, *, via: str) -> StudentBrief:
        """The student a deletion would remove (for the confirmation card); refused and audited unless allowed."""
        async with unit_of_work(self._sessions) as session:
            student = await self._allowed_student(session, actor, student_number, via=via)
            return StudentBrief(student.id, student.display_name, student.student_number, student.grade)

    async def delete_student(self, actor: Actor, student_number: str, *, via: str) -> DeletionReport:
        async with unit_of_work(self._sessions) as session:
            student = await self._allowed_student(session, actor, student_number, via=via)
            report = DeletionReport(student_id=student.id)
            await self._erase(session, student, report)
            await audit.record(session, actor, action="student.delete", subject_type="student",
                               subject_ids=[student.id], via=via, allowed=True, reason=f"{report.total_rows} rows")
        await self._erase_redis(student.id, report)
        log.info("student deleted", extra={"student_id": student.id, "rows": report.total_rows,
                                           "redis_keys": report.redis_keys, "staff_id": actor.staff_id})
        return report

    async def _allowed_student(self, session: AsyncSession, actor: Actor, student_number: str, *, via: str) -> Student:
        number = student_number.strip().upper()
        student = (await session.execute(select(Student).where(Student.student_number == number))).scalar_one_or_none()
        if student is None:
            raise NotFound(f"No student with number {number[:20]}.")
        if actor.role != Role.admin or student.school_id != actor.school_id:
            async with unit_of_work(self._sessions) as refusal:  # committed even though the caller's work rolls back
                await audit.record(refusal, actor, action="student.delete", subject_type="student",
                                   subject_ids=[student.id], via=via, allowed=False,
                                   reason="only an admin of the student's school may delete")
            raise NotAllowed("Only an administrator of the student's school can delete a student's records.")
        return student

    async def _erase(self, session: AsyncSession, student: Student, report: DeletionReport) -> None:
        sid = student.id
        statements: dict[str, Delete] = {
            "conversation_turns": delete(ConversationTurn).where(
                or_(ConversationTurn.student_ids.contains([sid]), *_mentions(ConversationTurn.content, student))
            ),
            "knowledge_chunks": delete(KnowledgeChunk).where(or_(*_mentions(KnowledgeChunk.content, student))),
            "incidents": delete(Incident).where(Incident.student_id == sid),  # alerts and deliveries cascade
            "health_notes": delete(HealthNote).where(HealthNote.student_id == sid),
            "attendance": delete(Attendance).where(Attendance.student_id == sid),
            "activity_participation": delete(ActivityParticipation).where(ActivityParticipation.student_id == sid),
            "skill_assessments": delete(SkillAssessment).where(SkillAssessment.student_id == sid),
            "fitness_tests": delete(FitnessTest).where(FitnessTest.student_id == sid),
            "drivers_ed_progress": delete(DriversEdProgress).where(DriversEdProgress.student_id == sid),
            "guardians": delete(Guardian).where(Guardian.student_id == sid),
            "enrollments": delete(Enrollment).where(Enrollment.student_id == sid),
        }
        for table, statement in statements.items():
            result = await session.execute(statement.execution_options(synchronize_session=False))
            report.rows[table] = int(getattr(result, "rowcount", 0) or 0)
        kept_apart = await session.execute(
            text(
                "UPDATE enrollments SET keep_apart_from = COALESCE("
                "(SELECT jsonb_agg(e) FROM jsonb_array_elements(keep_apart_from) AS e"
                " WHERE e <> to_jsonb(CAST(:sid AS bigint))), '[]'::jsonb)"
                " WHERE keep_apart_from @> jsonb_build_array(CAST(:sid AS bigint))"
            ),
            {"sid": sid},
        )
        report.rows["keep_apart_references"] = int(getattr(kept_apart, "rowcount", 0) or 0)
        for table, redaction in _redactions(student).items():
            result = await session.execute(redaction.execution_options(synchronize_session=False))
            report.rows[table] = int(getattr(result, "rowcount", 0) or 0)
        removed = await session.execute(delete(Student).where(Student.id == sid))
        report.rows["students"] = int(getattr(removed, "rowcount", 0) or 0)

    async def _erase_redis(self, student_id: int, report: DeletionReport) -> None:
        if self._redis is None:
            return
        try:
            for pattern in REDIS_PATTERNS:
                keys = [key async for key in self._redis.scan_iter(match=pattern.format(id=student_id), count=500)]
                if keys:
                    report.redis_keys += int(await self._redis.delete(*keys))
        except (RedisError, OSError):
            report.redis_ok = False
            log.warning("redis unavailable: a deleted student's cached keys expire on their own",
                        extra={"student_id": student_id})


_Text = QueryableAttribute[str] | QueryableAttribute[str | None] | ColumnElement[str]  # a text column or cast


def _needles(student: Student) -> list[str]:
    """How free text names the student (full name, preferred name, student number), long enough to search."""
    needles = {f"{student.first_name} {student.last_name}", student.student_number}
    if student.preferred_name:
        needles.add(f"{student.preferred_name} {student.last_name}")
    return sorted(n for n in needles if len(n) >= MIN_NAME_CHARS)


def _mentions(column: _Text, student: Student) -> list[ColumnElement[bool]]:
    """Conditions matching free text that names the student."""
    return [func.strpos(func.lower(column), needle.lower()) > 0 for needle in _needles(student)]


def _redactions(student: Student) -> dict[str, Update]:
    """Rows that belong to someone else but name the student in free text: the name is replaced, the row stays."""
    needles = _needles(student)
    if not needles:
        return {}
    pattern = "|".join(re.escape(n) for n in needles)  # PostgreSQL ARE: a backslash before punctuation is literal

    def scrub(column: _Text) -> ColumnElement[str]:
        return func.regexp_replace(column, pattern, REDACTED, "gi")

    def named(*columns: _Text) -> ColumnElement[bool]:
        return or_(*(m for c in columns for m in _mentions(c, student)))

    incident_text = (Incident.description, Incident.injuries, Incident.action_taken, Incident.witnesses,
                     Incident.follow_up)
    plan_text = cast(LessonPlan.plan, Text)
    return {
        "incidents_redacted": update(Incident).where(Incident.student_id != student.id, named(*incident_text))
        .values({c: scrub(c) for c in incident_text}),
        "alerts_redacted": update(Alert).where(named(Alert.reason)).values(reason=scrub(Alert.reason)),
        "calendar_events_redacted": update(CalendarEvent).where(named(CalendarEvent.title, CalendarEvent.description))
        .values(title=scrub(CalendarEvent.title), description=scrub(CalendarEvent.description)),
        "message_feedback_redacted": update(MessageFeedback).where(named(MessageFeedback.text))
        .values(text=scrub(MessageFeedback.text)),
        "lesson_plans_redacted": update(LessonPlan).where(named(plan_text))
        .values(plan=cast(scrub(plan_text), JSONB)),
        "knowledge_uploads_redacted": update(KnowledgeUpload).where(named(KnowledgeUpload.content))
        .values(content=scrub(KnowledgeUpload.content)),
    }
