"""An admin's view of who accessed a student's records, read from the append-only audit log.

Admins only, and only for students of their own school; the look-up itself is audited (``audit.read``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.db import unit_of_work
from domain.errors import NotAllowed
from domain.models import AuditLog, Role, Staff, Student

MAX_ENTRIES = 50


@dataclass(frozen=True, slots=True)
class AccessEntry:
    at: datetime
    who: str  # staff display name, or "unknown staff #id" once their row is gone
    role: str
    action: str
    via: str
    allowed: bool
    conversation: str | None = None  # personal | groupChat | channel; None for rows written before it was kept


@dataclass(frozen=True, slots=True)
class AccessHistory:
    student_id: int
    student_name: str
    student_number: str
    entries: tuple[AccessEntry, ...]
    truncated: bool


class AccessHistoryService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def for_student(self, actor: Actor, student_id: int, *, via: str, limit: int = MAX_ENTRIES) -> AccessHistory:
        async with unit_of_work(self._sessions) as session:
            student = (await session.execute(select(Student).where(Student.id == student_id))).scalar_one_or_none()
            if actor.role != Role.admin or student is None or student.school_id != actor.school_id:
                if student is not None:
                    await self._refuse(actor, student.id, via)
                raise NotAllowed("Only an administrator of the student's school can see who accessed their records.")
            rows = (
                await session.execute(
                    select(AuditLog, Staff.display_name, Staff.role)
                    .outerjoin(Staff, Staff.id == AuditLog.actor_staff_id)
                    .where(AuditLog.subject_type == "student", AuditLog.subject_id == student.id)
                    .order_by(AuditLog.at.desc(), AuditLog.id.desc())
                    .limit(limit + 1)
                )
            ).all()
            await audit.record(session, actor, action="audit.read", subject_type="student", subject_ids=[student.id],
                               via=via, allowed=True)
            entries = tuple(
                AccessEntry(
                    at=row.at,
                    who=name or f"unknown staff #{row.actor_staff_id}",
                    role=role.value if role is not None else "?",
                    action=row.action,
                    via=row.via,
                    allowed=row.allowed,
                    conversation=row.conversation_type,
                )
                for row, name, role in rows[:limit]
            )
            return AccessHistory(student.id, student.display_name, student.student_number, entries, len(rows) > limit)

    async def _refuse(self, actor: Actor, student_id: int, via: str) -> None:
        async with unit_of_work(self._sessions) as session:
            await audit.record(session, actor, action="audit.read", subject_type="student", subject_ids=[student_id],
                               via=via, allowed=False, reason="not an admin of the student's school")
