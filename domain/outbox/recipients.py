"""Recipients of outbox deliveries: a staff member's 1:1 chat (or what is needed to open one), whether Faraday can
reach them in Teams at all, and the conversation a sender opened, kept so the next delivery reuses it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.outbox.types import DeliveryError, Target

NOT_LINKED = "not linked to Teams yet (has never used Faraday, and the app is not installed for them)"

_TARGET = text(
    """
    SELECT s.id AS staff_id, s.display_name, s.tenant_id, s.aad_object_id, s.role::text AS role, s.active,
           (SELECT c.reference FROM conversation_references c WHERE c.staff_id = s.id
             AND c.conversation_type = 'personal' ORDER BY c.updated_at DESC LIMIT 1) AS reference,
           (SELECT c.service_url FROM conversation_references c WHERE c.tenant_id = s.tenant_id
             ORDER BY c.updated_at DESC LIMIT 1) AS service_url,
           (SELECT c.bot_id FROM conversation_references c WHERE c.tenant_id = s.tenant_id
             ORDER BY c.updated_at DESC LIMIT 1) AS bot_id
    FROM staff s WHERE s.id = :id
    """
)
_STORE = text(
    """
    INSERT INTO conversation_references
        (staff_id, conversation_id, conversation_type, service_url, tenant_id, channel_id, bot_id, reference,
         alerts_enabled)
    VALUES (:staff_id, :conversation_id, 'personal', :service_url, :tenant_id, :channel_id, :bot_id,
            CAST(:reference AS jsonb), true)
    ON CONFLICT (conversation_id) DO UPDATE SET reference = EXCLUDED.reference, updated_at = now()
    """
)


async def load_target(session: AsyncSession, staff_id: int, *, active_only: bool = False) -> Target | None:
    """Where a delivery to ``staff_id`` goes: their latest personal chat, else the tenant's service URL and bot id
    to open one. None: no such staff member (or, with ``active_only``, no longer active)."""
    r = (await session.execute(_TARGET, {"id": staff_id})).mappings().first()
    if r is None or (active_only and not r["active"]):
        return None
    return Target(staff_id=r["staff_id"], display_name=r["display_name"], tenant_id=r["tenant_id"],
                  aad_object_id=r["aad_object_id"], reference=r["reference"], service_url=r["service_url"],
                  bot_id=r["bot_id"], role=r["role"])


def require_linked(target: Target | None) -> Target:
    """``target`` when Teams knows them (a tenant and an AAD object id, from a message or the app's install), else
    the permanent ``NotLinked`` failure (no such staff member included)."""
    if target is None or not (target.tenant_id and target.aad_object_id):
        raise DeliveryError(NOT_LINKED, retryable=False, code="NotLinked")
    return target


async def load_linked_target(session: AsyncSession, staff_id: int) -> Target:
    """``load_target`` for a delivery that can only go to someone linked to Teams (``require_linked``)."""
    return require_linked(await load_target(session, staff_id))


async def store_reference(session: AsyncSession, staff_id: int, reference: dict[str, Any]) -> None:
    """Keep the 1:1 conversation the sender created, so the next delivery reuses it."""
    conversation = reference.get("conversation") or {}
    await session.execute(_STORE, {
        "staff_id": staff_id, "conversation_id": str(conversation.get("id", ""))[:400],
        "service_url": str(reference.get("serviceUrl", ""))[:400],
        "tenant_id": str(conversation.get("tenantId") or reference.get("tenantId") or "")[:64],
        "channel_id": str(reference.get("channelId", "msteams"))[:40],
        "bot_id": str((reference.get("bot") or {}).get("id", ""))[:200], "reference": json.dumps(reference),
    })
