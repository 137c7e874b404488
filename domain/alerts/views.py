"""Read what the relay needs: each alert's card content (``AlertView``) and each recipient's ``Target``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.alerts.types import AlertView, Failure, Target

MAX_REFRESH_USERS = 60  # Teams refreshes a card automatically for at most 60 listed users

_ALERTS = text(
    """
    SELECT a.id AS alert_id, a.incident_id, a.reason, a.acknowledged_at, ack.display_name AS acknowledged_by,
           i.severity::text AS severity, i.incident_type, i.occurred_at, i.location, i.activity, i.description,
           i.injuries, i.action_taken, st.first_name, st.preferred_name, st.last_name, st.grade, st.student_number,
           st.medical_flags, rep.display_name AS reporter, sc.name AS school, sc.time_zone
    FROM alerts a
    JOIN incidents i ON i.id = a.incident_id
    JOIN schools sc ON sc.id = a.school_id
    LEFT JOIN students st ON st.id = i.student_id
    LEFT JOIN staff rep ON rep.id = i.reporter_id
    LEFT JOIN staff ack ON ack.id = a.acknowledged_by
    WHERE a.id = ANY(:ids)
    """
)
_DELIVERIES = text(
    """
    SELECT d.alert_id, d.kind, d.status, d.last_error, s.display_name,
           (SELECT c.reference -> 'user' ->> 'id' FROM conversation_references c
             WHERE c.staff_id = s.id AND c.conversation_type = 'personal' ORDER BY c.updated_at DESC LIMIT 1) AS user_id
    FROM alert_deliveries d JOIN staff s ON s.id = d.recipient_id
    WHERE d.alert_id = ANY(:ids) ORDER BY d.id
    """
)
_TARGETS = text(
    """
    SELECT DISTINCT ON (s.id) s.id AS staff_id, s.display_name, s.role::text AS role, s.tenant_id, s.aad_object_id,
           c.reference,
           EXISTS (SELECT 1 FROM conversation_references x WHERE x.staff_id = s.id) AS has_any
    FROM staff s
    LEFT JOIN conversation_references c
      ON c.staff_id = s.id AND c.conversation_type = 'personal' AND c.alerts_enabled
    WHERE s.id = ANY(:ids)
    ORDER BY s.id, c.updated_at DESC NULLS LAST
    """
)
_TENANT_ROUTE = text(
    "SELECT tenant_id, service_url, bot_id FROM conversation_references WHERE tenant_id = ANY(:tenants)"
    " ORDER BY updated_at"
)


async def alert_views(session: AsyncSession, alert_ids: Iterable[int]) -> dict[int, AlertView]:
    ids = sorted(set(alert_ids))
    if not ids:
        return {}
    escalated: dict[int, list[str]] = defaultdict(list)
    failures: dict[int, list[Failure]] = defaultdict(list)
    users: dict[int, list[str]] = defaultdict(list)
    for d in (await session.execute(_DELIVERIES, {"ids": ids})).mappings():
        if d["kind"] == "escalation":
            escalated[d["alert_id"]].append(d["display_name"])
        if d["status"] == "failed" and d["kind"] != "reporter":
            failures[d["alert_id"]].append(Failure(d["display_name"], d["last_error"] or "could not be reached"))
        if d["user_id"] and d["kind"] != "reporter" and d["user_id"] not in users[d["alert_id"]]:
            users[d["alert_id"]].append(d["user_id"])
    views: dict[int, AlertView] = {}
    for r in (await session.execute(_ALERTS, {"ids": ids})).mappings():
        tz = ZoneInfo(r["time_zone"])
        name = f"{r['preferred_name'] or r['first_name']} {r['last_name']}" if r["last_name"] else None
        views[r["alert_id"]] = AlertView(
            alert_id=r["alert_id"], incident_id=r["incident_id"], kind="alert", level=0, reason=r["reason"],
            severity=r["severity"], incident_type=r["incident_type"], occurred_at=r["occurred_at"].astimezone(tz),
            location=r["location"], activity=r["activity"], description=r["description"], injuries=r["injuries"],
            action_taken=r["action_taken"], student_name=name, student_grade=r["grade"],
            student_number=r["student_number"], medical_flags=tuple(r["medical_flags"] or ()),
            reporter_name=r["reporter"] or "—", school_name=r["school"], acknowledged_by=r["acknowledged_by"],
            acknowledged_at=r["acknowledged_at"].astimezone(tz) if r["acknowledged_at"] else None,
            escalated_to=tuple(dict.fromkeys(escalated[r["alert_id"]])),
            failures=tuple(failures[r["alert_id"]]),
            refresh_user_ids=tuple(users[r["alert_id"]][:MAX_REFRESH_USERS]),
        )
    return views


async def targets(session: AsyncSession, staff_ids: Iterable[int]) -> dict[int, tuple[Target, bool]]:
    """Each recipient's target and whether they muted alerts (references exist, none with alerts enabled)."""
    ids = sorted(set(staff_ids))
    if not ids:
        return {}
    rows = list((await session.execute(_TARGETS, {"ids": ids})).mappings())
    tenants = sorted({r["tenant_id"] for r in rows})
    route_rows = (await session.execute(_TENANT_ROUTE, {"tenants": tenants})).all()
    routes: dict[str, tuple[str | None, str | None]] = {r.tenant_id: (r.service_url, r.bot_id) for r in route_rows}
    out: dict[int, tuple[Target, bool]] = {}
    for r in rows:
        service_url, bot_id = routes.get(r["tenant_id"], (None, None))
        target = Target(staff_id=r["staff_id"], display_name=r["display_name"], tenant_id=r["tenant_id"],
                        aad_object_id=r["aad_object_id"], reference=r["reference"], service_url=service_url,
                        bot_id=bot_id, role=r["role"])
        out[r["staff_id"]] = (target, r["reference"] is None and bool(r["has_any"]))
    return out


async def reference_for(session: AsyncSession, conversation_id: str) -> dict[str, Any] | None:
    reference: dict[str, Any] | None = await session.scalar(
        text("SELECT reference FROM conversation_references WHERE conversation_id = :id"), {"id": conversation_id}
    )
    return reference
