"""Conversation references (for proactive alerts), kept only from authenticated turns."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.db import autocommit
from domain.models import ConversationReference

# A reference this process stored less than this long ago, unchanged, is not written again: the upsert would cost
# every turn a round trip. The alert relay picks a user's most recently updated personal chat, so this is also how
# stale that ordering may be.
REFRESH_S = 600.0
REMEMBERED_CAPACITY = 20_000


class ConversationService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._stored: OrderedDict[str, tuple[float, str]] = OrderedDict()  # conversation id -> (when, reference)

    async def remember(self, actor: Actor, reference: dict[str, Any]) -> None:
        """Upsert the reference of the conversation this authenticated turn came from."""
        conversation = reference.get("conversation") or {}
        key = str(conversation.get("id", ""))
        lasting = {k: v for k, v in reference.items() if k != "activityId"}  # the activity id changes every turn
        fingerprint = f"{actor.staff_id}|{json.dumps(lasting, sort_keys=True, default=str)}"
        now = time.monotonic()
        stored = self._stored.get(key)
        if stored is not None and stored[1] == fingerprint and now - stored[0] < REFRESH_S:
            return
        values = {
            "staff_id": actor.staff_id,
            "conversation_id": str(conversation.get("id", ""))[:400],
            "conversation_type": str(conversation.get("conversationType") or "personal")[:20],
            "service_url": str(reference.get("serviceUrl", ""))[:400],
            "tenant_id": actor.tenant_id,
            "channel_id": str(reference.get("channelId", ""))[:40],
            "bot_id": str((reference.get("bot") or {}).get("id", ""))[:200],
            "reference": reference,
        }
        stmt = insert(ConversationReference).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ConversationReference.conversation_id],
            set_={k: stmt.excluded[k] for k in ("staff_id", "service_url", "reference")} | {"updated_at": func.now()},
        )
        async with autocommit(self._sessions) as session:
            await session.execute(stmt)
        self._stored[key] = (now, fingerprint)
        self._stored.move_to_end(key)
        if len(self._stored) > REMEMBERED_CAPACITY:
            self._stored.popitem(last=False)

    async def personal_reference(self, staff_id: int) -> dict[str, Any] | None:
        """The staff member's most recently used 1:1 chat with Faraday, or None if they never opened one."""
        async with self._sessions() as session:
            row = await session.execute(
                select(ConversationReference.reference)
                .where(ConversationReference.staff_id == staff_id,
                       ConversationReference.conversation_type == "personal")
                .order_by(ConversationReference.updated_at.desc())
                .limit(1)
            )
            reference = row.scalar_one_or_none()
        return dict(reference) if reference else None

    async def for_staff(self, staff_id: int) -> list[ConversationReference]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(ConversationReference).where(ConversationReference.staff_id == staff_id)
            )
            return list(rows.scalars())
