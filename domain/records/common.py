"""What every class recording shares: the caller's class (checked here, refusals audited), its roster, and the
card's key claimed in ``record_submissions`` inside the write's own transaction (a second press writes nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible
from domain.errors import InvalidInput, NotAllowed
from domain.models import Enrollment, RecordSubmission, SchoolClass, Student
from domain.records.roster_names import RosterName

MAX_KEY = 80


@dataclass(frozen=True, slots=True)
class ClassRoster:
    class_id: int
    class_name: str
    current_unit: str | None
    students: tuple[RosterName, ...]

    @property
    def ids(self) -> set[int]:
        return {s.student_id for s in self.students}


async def class_roster(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, class_id: int, *, action: str, via: str, refusal: str
) -> ClassRoster:
    """The class (if the caller may record for it) with its students by name; a refusal is audited, then raised."""
    async with sessions() as session:
        cls = (await session.execute(
            select(SchoolClass.name, SchoolClass.current_unit).where(SchoolClass.id == class_id, class_visible(actor))
        )).first()
        if cls is None:
            await audit.record(session, actor, action=action, subject_type="class", subject_ids=[class_id], via=via,
                               allowed=False, reason="not the caller's class")
            await session.commit()
            raise NotAllowed(refusal)
        rows = await session.execute(
            select(Student.id, Student.first_name, Student.last_name, Student.preferred_name)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(Enrollment.class_id == class_id)
            .order_by(Student.last_name, Student.first_name, Student.id)
        )
        return ClassRoster(class_id, cls[0], cls[1], tuple(RosterName(*r) for r in rows))


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY:
        raise InvalidInput("This card has expired; open a new one.")


async def claim(
    session: AsyncSession, actor: Actor, key: str, kind: str, result: dict[str, Any]
) -> dict[str, Any] | None:
    """Claim the card's key in the caller's transaction. None: claimed now (go on and write); otherwise the first
    save's result (write nothing). A key used by someone else, or for another kind, is refused."""
    claimed = await session.scalar(
        insert(RecordSubmission).values(key=key, kind=kind, staff_id=actor.staff_id, result=result)
        .on_conflict_do_nothing(index_elements=[RecordSubmission.key]).returning(RecordSubmission.key)
    )
    if claimed is not None:
        return None
    first = await session.get(RecordSubmission, key)
    if first is None or first.staff_id != actor.staff_id or first.kind != kind:
        raise NotAllowed("This card was already used by someone else.")
    return dict(first.result)


async def count_rows(session: AsyncSession, model: type, **where: Any) -> int:
    return await session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0
