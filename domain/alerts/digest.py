"""``alerts today`` and ``alerts status``: what an admin or nurse needs to see at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor

_TODAY = text(
    """
    SELECT a.id, a.incident_id, a.escalation_level, a.acknowledged_at, ack.display_name AS acknowledged_by,
           i.severity::text AS severity, i.occurred_at, i.incident_type,
           COALESCE(st.preferred_name, st.first_name) || ' ' || st.last_name AS student,
           (SELECT string_agg(s.display_name, ', ' ORDER BY s.display_name) FROM alert_deliveries d
              JOIN staff s ON s.id = d.recipient_id
             WHERE d.alert_id = a.id AND d.status = 'failed' AND d.kind <> 'reporter') AS unreachable
    FROM alerts a JOIN incidents i ON i.id = a.incident_id
    LEFT JOIN students st ON st.id = i.student_id
    LEFT JOIN staff ack ON ack.id = a.acknowledged_by
    WHERE a.school_id = :school_id AND a.created_at >= :since
    ORDER BY a.created_at
    """
)
_MINE = text(
    "SELECT count(*) AS conversations, count(*) FILTER (WHERE alerts_enabled) AS enabled"
    " FROM conversation_references WHERE staff_id = :staff_id AND conversation_type = 'personal'"
)
_FAILURES = text(
    """
    SELECT s.display_name, d.last_error, max(d.created_at) AS at FROM alert_deliveries d
    JOIN staff s ON s.id = d.recipient_id JOIN alerts a ON a.id = d.alert_id
    WHERE a.school_id = :school_id AND d.status = 'failed' AND d.created_at >= :since
    GROUP BY s.display_name, d.last_error ORDER BY at DESC LIMIT 5
    """
)
_SET = text("UPDATE conversation_references SET alerts_enabled = :on WHERE staff_id = :staff_id")


@dataclass(frozen=True, slots=True)
class DigestLine:
    alert_id: int
    incident_id: int
    severity: str
    occurred_at: datetime
    incident_type: str
    student: str | None
    state: str  # open | acknowledged | escalated
    acknowledged_by: str | None
    escalation_level: int
    unreachable: str | None


@dataclass(frozen=True, slots=True)
class Subscription:
    conversations: int
    enabled: int
    failures: list[tuple[str, str]]  # (who, why), this school, last 7 days


async def alerts_today(sessions: async_sessionmaker[AsyncSession], actor: Actor, now: datetime) -> list[DigestLine]:
    local = now.astimezone(ZoneInfo(actor.time_zone))
    since = local.replace(hour=0, minute=0, second=0, microsecond=0)
    async with sessions() as session:
        rows = (await session.execute(_TODAY, {"school_id": actor.school_id, "since": since})).mappings().all()
    return [
        DigestLine(
            alert_id=r["id"], incident_id=r["incident_id"], severity=r["severity"],
            occurred_at=r["occurred_at"].astimezone(local.tzinfo), incident_type=r["incident_type"],
            student=r["student"],
            state="acknowledged" if r["acknowledged_at"] else ("escalated" if r["escalation_level"] else "open"),
            acknowledged_by=r["acknowledged_by"], escalation_level=r["escalation_level"], unreachable=r["unreachable"],
        )
        for r in rows
    ]


async def subscription(sessions: async_sessionmaker[AsyncSession], actor: Actor, now: datetime) -> Subscription:
    async with sessions() as session:
        mine = (await session.execute(_MINE, {"staff_id": actor.staff_id})).one()
        failures = (await session.execute(
            _FAILURES, {"school_id": actor.school_id, "since": now - timedelta(days=7)}
        )).all()
    return Subscription(mine.conversations, mine.enabled, [(f[0], f[1] or "could not be reached") for f in failures])


async def set_alerts(sessions: async_sessionmaker[AsyncSession], actor: Actor, on: bool) -> int:
    """Turn alerts on or off in every conversation the caller has with Faraday; returns how many."""
    async with sessions() as session, session.begin():
        result = await session.execute(_SET, {"on": on, "staff_id": actor.staff_id})
        return int(result.rowcount)  # type: ignore[attr-defined]
