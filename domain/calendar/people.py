"""Who an event can invite: staff of the organiser's school (by e-mail), and guardians of students the organiser
may see, only when an e-mail is on file and the teacher ticked them. Guardian e-mails never reach a teacher's card
(they are nurse/admin fields, see ``domain/authorization.py``); they are resolved here at save time and audited."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible, student_visible
from domain.calendar.backend import Attendee
from domain.errors import InvalidInput
from domain.models import Guardian, SchoolClass, Staff, Student
from domain.names import normalize

MAX_STAFF = 30
MAX_FAMILIES = 10


class GuardiansRefused(InvalidInput):
    """Guardians of students outside the caller's scope were asked for; the caller audits it in its own transaction
    (the work's transaction rolls back, and the refusal must not roll back with it)."""

    def __init__(self, student_ids: list[int]) -> None:
        super().__init__("You can only invite guardians of your own students.", {"guardians": "Not your student."})
        self.student_ids = student_ids


async def record_refusal(session: AsyncSession, actor: Actor, refused: GuardiansRefused, *, via: str) -> None:
    await audit.record(session, actor, action="calendar.invite_guardians", subject_type="student",
                       subject_ids=refused.student_ids, via=via, allowed=False, reason="student not in caller's scope")


async def staff_choices(session: AsyncSession, actor: Actor) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(Staff.id, Staff.display_name)
        .where(Staff.school_id == actor.school_id, Staff.active.is_(True), Staff.id != actor.staff_id)
        .order_by(Staff.display_name)
        .limit(200)
    )
    return [(i, n) for i, n in rows]


async def class_choices(session: AsyncSession, actor: Actor) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(SchoolClass.id, SchoolClass.name).where(class_visible(actor)).order_by(SchoolClass.name)
    )
    return [(i, n) for i, n in rows]


def match_staff(query: str, staff: list[tuple[int, str]], emails: dict[int, str]) -> list[int]:
    """Staff ids a name or e-mail refers to: an exact e-mail or full name, else a unique first/last name."""
    wanted = normalize(query)
    exact = [i for i, name in staff if normalize(name) == wanted or emails.get(i, "").lower() == query.strip().lower()]
    if exact:
        return exact
    return [i for i, name in staff if wanted and wanted in normalize(name).split()]


async def staff_emails(session: AsyncSession, actor: Actor, ids: list[int] | None = None) -> dict[int, str]:
    query = select(Staff.id, Staff.email).where(Staff.school_id == actor.school_id, Staff.active.is_(True))
    if ids is not None:
        query = query.where(Staff.id.in_(ids))
    return {i: e for i, e in (await session.execute(query)) if e is not None}  # no e-mail: not invitable


async def staff_attendees(session: AsyncSession, actor: Actor, ids: list[int]) -> list[Attendee]:
    if len(ids) > MAX_STAFF:
        raise InvalidInput("Too many attendees.", {"staff": f"At most {MAX_STAFF} staff."})
    rows = (
        await session.execute(
            select(Staff.id, Staff.email, Staff.display_name)
            .where(Staff.id.in_(ids), Staff.school_id == actor.school_id, Staff.active.is_(True))
        )
    ).all()
    if len(rows) != len(set(ids)):
        raise InvalidInput("Some attendees aren't staff at your school.", {"staff": "Pick staff from the list."})
    without = sorted(n for _, e, n in rows if not e)
    if without:
        raise InvalidInput("Some attendees have no e-mail address on record.", {"staff": ", ".join(without)})
    return [Attendee(email=e, name=n) for _, e, n in rows if e]


async def families(session: AsyncSession, actor: Actor, student_ids: list[int]) -> list[tuple[int, str]]:
    """Visible students with guardians' e-mails on file, labelled for a tick box: "Jamie Lee's guardians (2)"."""
    rows = await session.execute(
        select(Student.id, Student.first_name, Student.preferred_name, Student.last_name, func.count(Guardian.id))
        .join(Guardian, Guardian.student_id == Student.id)
        .where(Student.id.in_(student_ids[:MAX_FAMILIES]), Guardian.email.is_not(None), student_visible(actor))
        .group_by(Student.id)
        .order_by(Student.last_name, Student.first_name)
    )
    return [(i, f"{p or f} {last}'s guardians ({n})") for i, f, p, last, n in rows]


async def guardian_attendees(session: AsyncSession, actor: Actor, student_ids: list[int], *,
                             via: str) -> list[Attendee]:
    """The guardians (with an e-mail on file) of students the organiser may see; each student's read is audited."""
    if not student_ids:
        return []
    if len(student_ids) > MAX_FAMILIES:
        raise InvalidInput("Too many families.", {"guardians": f"At most {MAX_FAMILIES} students' guardians."})
    visible = set(
        (await session.execute(select(Student.id).where(Student.id.in_(student_ids), student_visible(actor)))).scalars()
    )
    hidden = [s for s in student_ids if s not in visible]
    if hidden:
        raise GuardiansRefused(hidden)
    rows = await session.execute(
        select(Guardian.email, Guardian.name)
        .where(Guardian.student_id.in_(student_ids), Guardian.email.is_not(None))
        .order_by(Guardian.student_id, Guardian.priority)
    )
    await audit.record(session, actor, action="calendar.invite_guardians", subject_type="student",
                       subject_ids=sorted(visible), via=via, allowed=True)
    return [Attendee(email=e, name=n) for e, n in rows if e]
