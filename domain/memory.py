"""Conversation memory: the last turns of a conversation, trimmed to a budget, kept in Postgres (any replica can
answer the next message). Student ids are recorded so a student's deletion can remove their traces."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import autocommit
from domain.models import ConversationTurn

MAX_TURNS = 10
MAX_CHARS = 6000  # ~1.5k tokens of history
KEEP_ROWS = 50  # per conversation


class ConversationMemory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def recent(self, conversation_id: str, staff_id: int) -> list[dict[str, str]]:
        """The latest messages of this user in this conversation, oldest first, within the budget."""
        async with autocommit(self._sessions) as session:
            rows = (
                await session.execute(
                    select(ConversationTurn.role, ConversationTurn.content)
                    .where(ConversationTurn.conversation_id == conversation_id, ConversationTurn.staff_id == staff_id)
                    .order_by(ConversationTurn.id.desc())
                    .limit(MAX_TURNS)
                )
            ).all()
        history: list[dict[str, str]] = []
        used = 0
        for role, content in rows:
            if used + len(content) > MAX_CHARS:
                break
            used += len(content)
            history.append({"role": role, "content": content})
        history.reverse()
        while history and history[0]["role"] != "user":  # start with a user message
            history.pop(0)
        return history

    async def remember(
        self, conversation_id: str, staff_id: int, user_text: str, reply_text: str, student_ids: list[int]
    ) -> None:
        ids = sorted(set(student_ids))
        rows = [
            {"conversation_id": conversation_id, "staff_id": staff_id, "role": role, "content": content,
             "student_ids": ids}
            for role, content in (("user", user_text), ("assistant", reply_text))
        ]
        added = insert(ConversationTurn).values(rows).returning(ConversationTurn.id).cte("added")
        keep = (
            select(ConversationTurn.id)
            .where(ConversationTurn.conversation_id == conversation_id)
            .order_by(ConversationTurn.id.desc())
            .limit(KEEP_ROWS - 2)  # the statement's snapshot does not see the two rows it adds
        )
        trim = (
            delete(ConversationTurn)
            .where(ConversationTurn.conversation_id == conversation_id, ConversationTurn.id.not_in(keep))
        )
        async with autocommit(self._sessions) as session:  # both turns and the trim: one atomic statement
            await session.execute(trim.add_cte(added))
