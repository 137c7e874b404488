"""The ``calendar_events`` table: the local calendar, and in Outlook mode the record of what Faraday created there.

Rows go ``pending`` (claimed, external call in flight) → ``confirmed`` → ``cancelled``. A pending row is deleted
when the external call fails, so a failure leaves nothing behind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar.backend import Busy
from domain.models import CalendarEvent

PENDING, CONFIRMED, CANCELLED = "pending", "confirmed", "cancelled"
STALE_CLAIM = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Claim:
    row: CalendarEvent
    fresh: bool  # True: this call inserted the row
    stale: bool  # a pending row older than STALE_CLAIM (its process died mid-call): safe to take over


async def claim(session: AsyncSession, values: dict[str, Any]) -> Claim:
    """Insert the row for an idempotency key, or return the row that key already has."""
    stmt = (
        insert(CalendarEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[CalendarEvent.idempotency_key])
        .returning(CalendarEvent.id)
    )
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    key = values["idempotency_key"]
    row, stale = (
        await session.execute(
            select(CalendarEvent, CalendarEvent.created_at < func.now() - STALE_CLAIM)
            .where(CalendarEvent.idempotency_key == key)
            .with_for_update(of=CalendarEvent)
        )
    ).one()
    return Claim(row=row, fresh=new_id is not None, stale=bool(stale) and row.status == PENDING)


async def confirm(session: AsyncSession, event_id: int, external_id: str | None) -> None:
    await session.execute(
        update(CalendarEvent).where(CalendarEvent.id == event_id).values(status=CONFIRMED, graph_event_id=external_id)
    )


async def release(session: AsyncSession, event_id: int) -> None:
    """Forget a pending claim whose external call failed."""
    await session.execute(delete(CalendarEvent).where(CalendarEvent.id == event_id, CalendarEvent.status == PENDING))


async def restamp(session: AsyncSession, event_id: int) -> None:
    """Take over a stale pending claim (its process died mid-call)."""
    await session.execute(update(CalendarEvent).where(CalendarEvent.id == event_id).values(created_at=func.now()))


async def mark_cancelled(session: AsyncSession, event_id: int) -> None:
    await session.execute(update(CalendarEvent).where(CalendarEvent.id == event_id).values(status=CANCELLED))


async def owned(session: AsyncSession, event_id: int, organizer_id: int) -> CalendarEvent | None:
    return (
        await session.execute(
            select(CalendarEvent)
            .where(CalendarEvent.id == event_id, CalendarEvent.organizer_id == organizer_id)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def between(session: AsyncSession, organizer_id: int, email: str, start: datetime, end: datetime) -> list[Busy]:
    """Confirmed events the staff member organises or attends that overlap [start, end)."""
    rows = (
        await session.execute(
            select(CalendarEvent)
            .where(
                or_(CalendarEvent.organizer_id == organizer_id, CalendarEvent.attendees.contains([email])),
                CalendarEvent.status == CONFIRMED,
                CalendarEvent.starts_at < end,
                CalendarEvent.ends_at > start,
            )
            .order_by(CalendarEvent.starts_at)
            .limit(50)
        )
    ).scalars()
    return [
        Busy(title=r.title, start=r.starts_at.astimezone(start.tzinfo), end=r.ends_at.astimezone(start.tzinfo),
             location=r.location, event_id=r.id if r.organizer_id == organizer_id else None)
        for r in rows
    ]
