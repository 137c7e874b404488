"""The first database statement of a message turn: who is asking, and what they said recently in this conversation.

Identity (``domain.identity``) and conversation memory (``domain.memory``) each answer one of these; a message turn
needs both before the agent runs, so this asks both in one round trip, on the pooled driver connection. The actor
is resolved exactly as ``IdentityService.resolve`` does (active staff, by tenant and AAD object id: tested equal for
every demo user); the history is only ever that user's own turns in that conversation (staff id from the same
row), trimmed as ``ConversationMemory.recent`` trims it. An unknown user gets no actor and no history.
"""

from __future__ import annotations

from sqlalchemy import func, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.db import driver_connection, driver_sql
from domain.identity import actor_by_teams_id, actor_from_row, plausible_id
from domain.memory import recent_turns, trimmed_history
from domain.models import Staff

_turns = recent_turns(Staff.id).correlate(Staff).subquery("t")  # the staff row's own turns, newest first
_recent = select(func.array_agg(aggregate_order_by(_turns.c.role, _turns.c.id.desc())).label("roles"),
                 func.array_agg(aggregate_order_by(_turns.c.content, _turns.c.id.desc())).label("contents"),
                 ).lateral("recent")
_ACTOR_AND_RECENT = driver_sql(
    actor_by_teams_id().add_columns(_recent.c.roles, _recent.c.contents).outerjoin(_recent, true())
)


History = list[dict[str, str]]


class TurnStart:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def load(self, tenant_id: str | None, aad_object_id: str | None,
                   conversation_id: str) -> tuple[Actor | None, History]:
        """``(IdentityService.resolve(...), ConversationMemory.recent(conversation_id, actor.staff_id))`` in one
        statement; ``(None, [])`` for anyone who is not active staff."""
        if not (plausible_id(tenant_id) and plausible_id(aad_object_id)):
            return None, []
        async with driver_connection(self._sessions) as connection:
            row = await _ACTOR_AND_RECENT.fetchrow(connection, tenant_id=tenant_id, aad_object_id=aad_object_id,
                                                   conversation_id=conversation_id)
        if row is None:
            return None, []
        turns = list(zip(row["roles"] or [], row["contents"] or [], strict=True))
        return actor_from_row(tuple(row)[:9]), trimmed_history(turns)
