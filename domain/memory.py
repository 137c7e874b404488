"""Conversation memory: the last turns of a conversation, trimmed to a budget, kept in Postgres (any replica can
answer the next message). Student ids are recorded so a student's deletion can remove their traces."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, bindparam, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import driver_connection, driver_sql
from domain.models import ConversationTurn

MAX_TURNS = 10
MAX_CHARS = 6000  # ~1.5k tokens of history
KEEP_ROWS = 50  # per conversation

# Both turns and the trim in one statement, written out once (this runs on every turn; building the equivalent
# insert/CTE/delete constructs each time cost more than the database work). The DELETE's snapshot does not see the
# two rows the CTE adds, so it keeps KEEP_ROWS - 2 older ones.
REMEMBER = driver_sql(text(
    """
    WITH added AS (
        INSERT INTO conversation_turns (conversation_id, staff_id, role, content, student_ids)
        VALUES (:conversation_id, :staff_id, 'user', :user_text, :student_ids),
               (:conversation_id, :staff_id, 'assistant', :reply_text, :student_ids)
        RETURNING id
    )
    DELETE FROM conversation_turns
    WHERE conversation_id = :conversation_id
      AND id NOT IN (SELECT id FROM conversation_turns WHERE conversation_id = :conversation_id
                     ORDER BY id DESC LIMIT :keep)
    """
).bindparams(bindparam("student_ids", type_=JSONB)))  # bound as JSON text (the driver's jsonb codec takes text)
def recent_turns(staff_id: Any) -> Select[int, str, str]:
    """The latest MAX_TURNS turns (id, role, content), newest first, of ``staff_id`` in ``:conversation_id``."""
    return (
        select(ConversationTurn.id, ConversationTurn.role, ConversationTurn.content)
        .where(ConversationTurn.conversation_id == bindparam("conversation_id"), ConversationTurn.staff_id == staff_id)
        .order_by(ConversationTurn.id.desc())
        .limit(MAX_TURNS)
    )


RECENT = driver_sql(recent_turns(bindparam("staff_id")))


def trimmed_history(newest_first: list[tuple[str, str]]) -> list[dict[str, str]]:
    """(role, content) of the latest turns, newest first → the history the agent gets: oldest first, within
    MAX_CHARS, starting with a user message."""
    history: list[dict[str, str]] = []
    used = 0
    for role, content in newest_first:
        if used + len(content) > MAX_CHARS:
            break
        used += len(content)
        history.append({"role": role, "content": content})
    history.reverse()
    while history and history[0]["role"] != "user":  # start with a user message
        history.pop(0)
    return history


class ConversationMemory:
    """``writes``: sessions of an engine made with ``durable_commits=False``. Conversation memory is a convenience,
    not a record: its commit need not wait for the WAL to reach the disk (a crash may lose the last fraction of a
    second of it, never anything else; the data stays consistent). That wait was most of a turn's database time."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writes: async_sessionmaker[AsyncSession]
    ) -> None:
        self._sessions = sessions
        self._writes = writes

    async def recent(self, conversation_id: str, staff_id: int) -> list[dict[str, str]]:
        """The latest messages of this user in this conversation, oldest first, within the budget."""
        async with driver_connection(self._sessions) as connection:  # the driver's own statement
            rows = await RECENT.fetch(connection, conversation_id=conversation_id, staff_id=staff_id)
        return trimmed_history([(row["role"], row["content"]) for row in rows])

    async def remember(
        self, conversation_id: str, staff_id: int, user_text: str, reply_text: str, student_ids: list[int]
    ) -> None:
        params = {"conversation_id": conversation_id, "staff_id": staff_id, "user_text": user_text,
                  "reply_text": reply_text, "student_ids": json.dumps(sorted(set(student_ids))), "keep": KEEP_ROWS - 2}
        async with driver_connection(self._writes) as connection:  # both turns and the trim: one statement
            await REMEMBER.execute(connection, **params)
