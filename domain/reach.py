"""Who Faraday cannot reach (#24.3, the part that needs no Graph install): for an admin's school, every active staff
member with a role that receives alerts, briefs or nurse requests, who is not linked to Teams, has no 1:1 chat with
Faraday yet, or whose last proactive message failed in the past week (alert, pre-class brief or nurse request) since
their newest 1:1 chat was stored (a chat opened after a failure, e.g. by installing Faraday for them, clears it).
Admins only; each look is audited (``staff.reachability``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.alerts.types import Clock, utc_now
from domain.errors import NotAllowed
from domain.models import Role

WINDOW = timedelta(days=7)

_UNREACHABLE = text(
    """
    WITH failures AS (
        SELECT recipient_id AS staff_id, last_error, created_at AS at FROM alert_deliveries
        WHERE status = 'failed' AND created_at >= :since
        UNION ALL
        SELECT teacher_id, last_error, created_at FROM pre_class_briefs WHERE status = 'failed' AND created_at >= :since
        UNION ALL
        SELECT d.nurse_id, d.last_error, r.created_at FROM nurse_deliveries d JOIN nurse_requests r
          ON r.id = d.request_id WHERE d.status = 'failed' AND r.created_at >= :since
    )
    SELECT s.id, s.display_name, s.role::text AS role, s.email, s.tenant_id, s.aad_object_id,
           (s.tenant_id IS NOT NULL AND s.aad_object_id IS NOT NULL) AS linked, r.at IS NOT NULL AS chat,
           (SELECT f.last_error FROM failures f WHERE f.staff_id = s.id AND (r.at IS NULL OR f.at > r.at)
             ORDER BY f.at DESC LIMIT 1) AS failed
    FROM staff s
    LEFT JOIN LATERAL (SELECT max(c.updated_at) AS at FROM conversation_references c WHERE c.staff_id = s.id
                       AND c.conversation_type = 'personal') r ON true
    WHERE s.school_id = :school AND s.active AND s.role IN ('teacher', 'coach', 'nurse', 'admin')
    ORDER BY s.display_name, s.id
    """
)


@dataclass(frozen=True, slots=True)
class Unreachable:
    name: str
    role: str
    reason: str
    staff_id: int = 0
    address: str | None = None  # how Graph can name them: the AAD object id, else the e-mail (UPN); None: neither
    tenant_id: str | None = None


class Reachability:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    async def unreachable(self, actor: Actor, *, via: str) -> list[Unreachable]:
        allowed = actor.role == Role.admin
        async with self._sessions() as session, session.begin():
            await audit.record(session, actor, action="staff.reachability", subject_type="school",
                               subject_ids=[actor.school_id], via=via, allowed=allowed)
            rows = (await session.execute(_UNREACHABLE, {"school": actor.school_id,
                                                         "since": self._clock() - WINDOW})).all() if allowed else []
        if not allowed:  # the refusal is audited (committed above)
            raise NotAllowed("Only administrators can see who Faraday cannot reach.")
        found: list[Unreachable] = []
        for row in rows:
            if not row.linked:
                reason = "not linked to Teams (has never used Faraday, and the app is not installed for them)"
            elif row.failed:
                reason = f"the last message failed: {row.failed}"
            elif not row.chat:
                reason = "no 1:1 chat with Faraday yet (the first alert or brief will try to open one)"
            else:
                continue
            found.append(Unreachable(row.display_name, row.role, reason, row.id, row.aad_object_id or row.email,
                                     row.tenant_id))
        return found
