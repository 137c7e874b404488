"""Conversation references (for proactive alerts), kept only from authenticated turns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.db import unit_of_work
from domain.models import ConversationReference


class ConversationService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def remember(self, actor: Actor, reference: dict[str, Any]) -> None:
        """Upsert the reference of the conversation this authenticated turn came from."""
        conversation = reference.get("conversation") or {}
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
        async with unit_of_work(self._sessions) as session:
            await session.execute(stmt)

    async def for_staff(self, staff_id: int) -> list[ConversationReference]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(ConversationReference).where(ConversationReference.staff_id == staff_id)
            )
            return list(rows.scalars())
