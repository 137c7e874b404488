"""Messages-home test helpers: a recorded incident, guardians' languages and permissions, the service in each mode,
tool deps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.authorization import student_visible
from domain.messages_home.delivery import GraphMail, MessageLinks
from domain.messages_home.service import MessageHomeService
from domain.messages_home.writers import MessageWriter, TemplateWriter
from domain.models import AuditLog, Guardian, HomeMessageRecipient, Incident, Severity, Student
from domain.students import StudentService
from tools.base import ToolDeps

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHICAGO)
SECRET = b"test-secret-for-message-links-0123456789"


def service(sessions: async_sessionmaker[AsyncSession], *, writer: MessageWriter | None = None,
            graph: GraphMail | None = None, mode: str = "send", clock: Any = None) -> MessageHomeService:
    links = MessageLinks(SECRET, timedelta(hours=72), "https://faraday.test", clock=clock)
    return MessageHomeService(sessions, writer or TemplateWriter(), school_language="en", graph=graph,
                              graph_mode=mode, links=links)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class MessagesServices:
    """What the message_home tool and its card verbs read of the services (tools.base.MessagesHomeAccess)."""

    students: StudentService
    messages_home: MessageHomeService | None


def deps(actor: Actor, sessions: async_sessionmaker[AsyncSession],
         messages: MessageHomeService | None) -> ToolDeps[MessagesServices]:
    return ToolDeps(actor=actor, services=MessagesServices(StudentService(sessions), messages), now=NOW)


async def student_id(sessions: async_sessionmaker[AsyncSession], number: str) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(Student.id).where(Student.student_number == number)))


async def record_incident(sessions: async_sessionmaker[AsyncSession], actor: Actor, student: int, *,
                          description: str = "Fell on his left wrist during a basketball layup",
                          action: str = "Ice pack; the nurse checked it") -> int:
    async with sessions() as session:
        incident_id = await session.scalar(insert(Incident).values(
            school_id=actor.school_id, student_id=student, reporter_id=actor.staff_id,
            occurred_at=NOW - timedelta(hours=2), location="Main Gym", activity="basketball", incident_type="injury",
            severity=Severity.minor, description=description, action_taken=action, status="open",
        ).returning(Incident.id))
        await session.commit()
    return int(incident_id)


async def guardians(sessions: async_sessionmaker[AsyncSession], student: int) -> list[Guardian]:
    async with sessions() as session:
        return list(await session.scalars(select(Guardian).where(Guardian.student_id == student)
                                          .order_by(Guardian.priority, Guardian.id)))


async def set_guardians(sessions: async_sessionmaker[AsyncSession], student: int, **values: Any) -> None:
    async with sessions() as session:
        await session.execute(update(Guardian).where(Guardian.student_id == student).values(**values))
        await session.commit()


async def recipients(sessions: async_sessionmaker[AsyncSession]) -> list[HomeMessageRecipient]:
    async with sessions() as session:
        return list(await session.scalars(select(HomeMessageRecipient).order_by(HomeMessageRecipient.id)))


async def audit_rows(sessions: async_sessionmaker[AsyncSession], action_prefix: str) -> list[AuditLog]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditLog).where(AuditLog.action.startswith(action_prefix))
                                          .order_by(AuditLog.id)))


async def count(sessions: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def set_guardian(sessions: async_sessionmaker[AsyncSession], guardian_id: int, **values: Any) -> None:
    async with sessions() as session:
        await session.execute(update(Guardian).where(Guardian.id == guardian_id).values(**values))
        await session.commit()


async def two_guardians(sessions: async_sessionmaker[AsyncSession], student: int) -> list[Guardian]:
    """The student's guardians replaced by two made-up ones with permission and an address: the first reads Spanish,
    the second has no language recorded (the school's, English). The tests then don't depend on the seed's draw."""
    async with sessions() as session:
        await session.execute(delete(Guardian).where(Guardian.student_id == student))
        await session.execute(insert(Guardian), [
            {"student_id": student, "name": "Guardian Uno", "relationship_to_student": "mother", "priority": 1,
             "email": "guardian.uno@example.test", "preferred_language": "es", "is_emergency_contact": True},
            {"student_id": student, "name": "Guardian Two", "relationship_to_student": "father", "priority": 2,
             "email": "guardian.two@example.test", "preferred_language": None}])
        await session.commit()
    return await guardians(sessions, student)


async def outsider(sessions: async_sessionmaker[AsyncSession], actor: Actor) -> int:
    """An active student of the actor's school who is in none of the actor's classes."""
    async with sessions() as session:
        found = await session.scalar(select(Student.id).where(
            Student.school_id == actor.school_id, Student.active.is_(True), ~student_visible(actor))
            .order_by(Student.id).limit(1))
    assert found is not None
    return int(found)
