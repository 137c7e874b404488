"""Escalation: an alert nobody acknowledged within the configured time goes to the next person on the school's
escalation list (staff ordered by ``escalation_rank``; the first is the primary, who already has it), and the
reporter is told. Runs in the relay loop with an injectable clock; several relays never escalate one alert twice
(``FOR UPDATE SKIP LOCKED`` on the alert, and the unique delivery per (alert, recipient, kind, level))."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import unit_of_work

log = logging.getLogger(__name__)

_DUE = text(
    """
    SELECT a.id, a.school_id, a.escalation_level, i.reporter_id
    FROM alerts a JOIN incidents i ON i.id = a.incident_id
    WHERE a.acknowledged_at IS NULL AND a.escalate_after <= :now
    ORDER BY a.escalate_after LIMIT :limit
    FOR UPDATE OF a SKIP LOCKED
    """
)
_LADDER = text(
    "SELECT id FROM staff WHERE school_id = :school_id AND active AND escalation_rank IS NOT NULL"
    " ORDER BY escalation_rank, id"
)
_DELIVER = text(
    "INSERT INTO alert_deliveries (alert_id, recipient_id, kind, level, status, attempts, next_attempt_at)"
    " VALUES (:alert_id, :recipient_id, :kind, :level, 'pending', 0, :now) ON CONFLICT DO NOTHING"
)
_ADVANCE = text("UPDATE alerts SET escalation_level = :level, escalate_after = :next WHERE id = :id")


async def escalate_due(sessions: async_sessionmaker[AsyncSession], now: datetime, after: timedelta, *,
                       limit: int = 50) -> list[int]:
    """Escalate every alert whose time is up; returns the ids of the alerts escalated."""
    escalated: list[int] = []
    async with unit_of_work(sessions) as session:
        for alert in (await session.execute(_DUE, {"now": now, "limit": limit})).all():
            if await _escalate(session, alert, now, after):
                escalated.append(alert.id)
    if escalated:
        log.info("alerts escalated", extra={"alert_ids": escalated})
    return escalated


async def _escalate(session: AsyncSession, a: Row[Any], now: datetime, after: timedelta) -> bool:
    ladder = [r[0] for r in (await session.execute(_LADDER, {"school_id": a.school_id})).all()]
    level = a.escalation_level + 1
    if level >= len(ladder):  # nobody further up: stop escalating (the alert stays open in the digest)
        await session.execute(_ADVANCE, {"level": a.escalation_level, "next": None, "id": a.id})
        return False
    rows = [{"alert_id": a.id, "recipient_id": ladder[level], "kind": "escalation", "level": level, "now": now}]
    if a.reporter_id is not None:
        rows.append({"alert_id": a.id, "recipient_id": a.reporter_id, "kind": "reporter", "level": level, "now": now})
    await session.execute(_DELIVER, rows)
    next_at = now + after if level + 1 < len(ladder) else None
    await session.execute(_ADVANCE, {"level": level, "next": next_at, "id": a.id})
    return True
