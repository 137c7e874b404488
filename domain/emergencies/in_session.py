"""Which classes are "in session" when an emergency starts — the classes whose teachers must account for students.

The rule (documented in the README):
- A period named by the admin ("evacuation drill for period 3", or a real emergency "for period 3"): every class of
  the school with that period, whatever the day and hour (a planned drill works at any time; tests don't depend on
  the clock).
- Otherwise, by the class schedule the model has (``meeting_days``, ``starts_at`` bell time, ``minutes``): the
  classes that meet today (the school's time zone) and whose bell time ≤ now < bell time + minutes. A class meeting
  today without a bell time is included (better one card too many than a class nobody asked about).
- Only classes whose teacher is active staff with a teaching role (teacher or coach) at the school.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_CLASSES = text(
    """
    SELECT c.id, c.teacher_id, c.period, c.meeting_days, c.starts_at, c.minutes
    FROM classes c JOIN staff s ON s.id = c.teacher_id
    WHERE c.school_id = :school_id AND s.school_id = :school_id AND s.active AND s.role IN ('teacher', 'coach')
    ORDER BY c.id
    """
)


@dataclass(frozen=True, slots=True)
class InSession:
    class_id: int
    teacher_id: int


async def classes_in_session(session: AsyncSession, school_id: int, *, period: str | None, now: datetime,
                             time_zone: str) -> list[InSession]:
    rows = (await session.execute(_CLASSES, {"school_id": school_id})).all()
    if period is not None:
        return [InSession(r.id, r.teacher_id) for r in rows if str(r.period).strip() == period]
    local = now.astimezone(ZoneInfo(time_zone))
    minute_of_day = local.hour * 60 + local.minute
    found = []
    for r in rows:
        if local.weekday() not in (r.meeting_days or []):
            continue
        if r.starts_at is not None:
            start = r.starts_at.hour * 60 + r.starts_at.minute
            if not start <= minute_of_day < start + (r.minutes or 0):
                continue
        found.append(InSession(r.id, r.teacher_id))
    return found
