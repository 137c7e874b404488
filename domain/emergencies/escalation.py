"""Unanswered classes: ``after`` the start, each teacher whose class is still unanswered gets the roster card again
(a reminder: a new message, so Teams notifies them); another ``after`` later, every admin gets the roll-up again
naming the classes still unanswered. Runs in the relay loop with an injectable clock; several relays never escalate
one emergency twice (``FOR UPDATE SKIP LOCKED`` on the emergency, one delivery per (recipient, kind, level))."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import unit_of_work
from domain.emergencies.types import ADMIN_KINDS, KIND_ESCALATION, KIND_REMINDER

log = logging.getLogger(__name__)

_DUE = text(
    "SELECT id, school_id, escalation_level FROM emergencies"
    " WHERE closed_at IS NULL AND escalate_after <= :now ORDER BY escalate_after LIMIT :limit"
    " FOR UPDATE SKIP LOCKED"
)
_UNANSWERED_TEACHERS = text(
    "SELECT DISTINCT teacher_id FROM emergency_classes WHERE emergency_id = :id AND status = 'unanswered'"
    " ORDER BY teacher_id"
)
_ADMINS = text("SELECT id FROM staff WHERE school_id = :school_id AND active AND role = 'admin' ORDER BY id")
_DELIVER = text(
    "INSERT INTO emergency_deliveries (emergency_id, recipient_id, kind, level, status, attempts, next_attempt_at)"
    " VALUES (:emergency_id, :recipient_id, :kind, :level, 'pending', 0, :now) ON CONFLICT DO NOTHING"
)
_ADVANCE = text(
    "UPDATE emergencies SET escalation_level = :level, escalate_after = :next, version = version + 1 WHERE id = :id"
)
_REFRESH = text(
    "UPDATE emergency_deliveries SET status = 'update_pending', next_attempt_at = :now"
    " WHERE emergency_id = :id AND kind = ANY(:kinds) AND status IN ('sent', 'updating')"
    " AND sent_activity_id IS NOT NULL"
)


async def escalate_due(sessions: async_sessionmaker[AsyncSession], now: datetime, after: timedelta, *,
                       limit: int = 20) -> list[int]:
    """Remind or escalate every emergency whose time is up; returns the ids acted on."""
    acted: list[int] = []
    async with unit_of_work(sessions) as session:
        for e in (await session.execute(_DUE, {"now": now, "limit": limit})).all():
            teachers = [r[0] for r in (await session.execute(_UNANSWERED_TEACHERS, {"id": e.id})).all()]
            level = e.escalation_level + 1
            if not teachers:  # everyone answered: nothing more to chase
                await session.execute(_ADVANCE, {"level": e.escalation_level, "next": None, "id": e.id})
                continue
            if level == 1:
                rows = [_row(e.id, t, KIND_REMINDER, level, now) for t in teachers]
                next_at: datetime | None = now + after
            else:
                admins = [r[0] for r in (await session.execute(_ADMINS, {"school_id": e.school_id})).all()]
                rows = [_row(e.id, a, KIND_ESCALATION, level, now) for a in admins]
                next_at = None
            if rows:
                await session.execute(_DELIVER, rows)
            await session.execute(_ADVANCE, {"level": level, "next": next_at, "id": e.id})
            await session.execute(_REFRESH, {"now": now, "id": e.id, "kinds": list(ADMIN_KINDS)})
            acted.append(e.id)
    if acted:
        log.info("emergencies escalated", extra={"emergency_ids": acted})
    return acted


def _row(emergency_id: int, recipient_id: int, kind: str, level: int, now: datetime) -> dict[str, object]:
    return {"emergency_id": emergency_id, "recipient_id": recipient_id, "kind": kind, "level": level, "now": now}
