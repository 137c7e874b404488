"""Which class a recording is for: a class the caller teaches (nurses and admins: any class of their school), named
as a teacher types it ("period 3", "PE 7"), or, when none is named, the caller's class meeting now."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible
from domain.errors import InvalidInput, NotAllowed
from domain.models import Enrollment, SchoolClass, Student
from domain.records.roster_names import RosterName, match
from domain.widgets.scope import (
    ClassRef,
    describe,
    matches,
    parse_class_text,
    school_classes_not_visible,
    visible_classes,
)

EARLY = timedelta(minutes=15)  # a class that starts within this is "now" (attendance is taken at the bell)


async def resolve_class(
    session: AsyncSession, actor: Actor, class_text: str | None, now: datetime, *, via: str
) -> ClassRef:
    """One class the caller may record for; a class of their school they don't teach is refused (and audited)."""
    visible = await visible_classes(session, actor)
    if not visible:
        raise InvalidInput("You have no classes on record, so there is nothing to record for.")
    if class_text and class_text.strip():
        query = parse_class_text(class_text)
        chosen = [c for c in visible if matches(query, c)]
        if not chosen:
            others = [c for c in await school_classes_not_visible(session, actor) if matches(query, c)]
            if others:
                await audit.record(session, actor, action="class.record", subject_type="class",
                                   subject_ids=[c.id for c in others], via=via, allowed=False,
                                   reason="not the caller's class")
                await session.commit()
                raise NotAllowed(f"'{class_text}' is not one of your classes. Your classes: {describe(visible)}.")
            raise InvalidInput(f"I couldn't find a class matching '{class_text}'. Your classes: {describe(visible)}.")
        if len(chosen) > 1:
            raise InvalidInput(f"'{class_text}' matches {len(chosen)} classes: {describe(chosen)}. Which one?")
        return chosen[0]
    if len(visible) == 1:
        return visible[0]
    current = await class_meeting_now(session, [c.id for c in visible], now)
    if current is not None:
        return next(c for c in visible if c.id == current)
    raise InvalidInput(f"Which class? Your classes: {describe(visible)}.")


async def class_meeting_now(session: AsyncSession, class_ids: list[int], now: datetime) -> int | None:
    """The class among these that meets today and started most recently (or starts within 15 minutes)."""
    rows = (await session.execute(
        select(SchoolClass.id, SchoolClass.starts_at, SchoolClass.meeting_days, SchoolClass.minutes)
        .where(SchoolClass.id.in_(class_ids))
    )).all()
    moment = now.replace(tzinfo=None)
    started: list[tuple[datetime, int]] = []
    for class_id, starts_at, days, minutes in rows:
        if starts_at is None or now.weekday() not in (days or []):
            continue
        begin = datetime.combine(now.date(), starts_at if isinstance(starts_at, time) else time(0))
        if begin - EARLY <= moment <= begin + timedelta(minutes=minutes or 50):
            started.append((begin, class_id))
    return max(started)[1] if started else None


async def pick_class(
    session: AsyncSession, actor: Actor, class_text: str | None, now: datetime, names: list[str], *, via: str
) -> int:
    """The class named; or, with student names and no class, the caller's PE class holding most of them; or the
    class meeting now (see ``resolve_class``)."""
    if class_text or not names:
        return (await resolve_class(session, actor, class_text, now, via=via)).id
    rows = (await session.execute(
        select(Enrollment.class_id, Student.id, Student.first_name, Student.last_name, Student.preferred_name)
        .join(Student, Student.id == Enrollment.student_id)
        .join(SchoolClass, SchoolClass.id == Enrollment.class_id)
        .where(class_visible(actor), SchoolClass.subject.in_(("PE", "Adapted PE"))))).all()
    by_class: dict[int, list[RosterName]] = {}
    for cid, sid, first, last, preferred in rows:
        by_class.setdefault(cid, []).append(RosterName(sid, first, last, preferred))
    scored = sorted(((sum(match(n, roster) is not None for n in names), -cid, cid) for cid, roster in by_class.items()),
                    reverse=True)
    if not scored or scored[0][0] == 0:
        return (await resolve_class(session, actor, None, now, via=via)).id
    return scored[0][2]
