"""Conversation memory against the real Postgres: both turns and the trim in one statement, written without waiting for
the WAL (and nothing else is), exactly the newest rows of one conversation kept, a failed write changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.fakes.activities import ALEX
from domain.db import make_engine, make_sessionmaker
from domain.memory import KEEP_ROWS, MAX_TURNS, ConversationMemory
from tests.support.actors import MISSING_STAFF_ID, actor_for


async def turns(outside: Any, conversation_id: str) -> list[tuple[int, str, str]]:
    rows = await outside("SELECT id, role, content FROM conversation_turns WHERE conversation_id = :c ORDER BY id",
                         c=conversation_id)
    return [(int(r.id), r.role, r.content) for r in rows]


@pytest.fixture
async def relaxed(demo_db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(demo_db_url, pool_size=1, durable_commits=False)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_memory_is_written_without_waiting_for_the_wal_and_nothing_else_is(
    sessions: async_sessionmaker[AsyncSession], relaxed: async_sessionmaker[AsyncSession]
) -> None:
    async with relaxed() as session:
        assert (await session.execute(text("SHOW synchronous_commit"))).scalar() == "off"
    async with sessions() as session:  # the engine of every other write keeps durable commits
        assert (await session.execute(text("SHOW synchronous_commit"))).scalar() == "on"


async def test_memory_keeps_exactly_the_newest_rows_of_one_conversation_and_a_failed_write_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], relaxed: async_sessionmaker[AsyncSession], outside: Any
) -> None:
    memory = ConversationMemory(sessions, relaxed)
    alex = await actor_for(sessions, ALEX)
    for i in range(3):
        await memory.remember("conv-other", alex.staff_id, f"other question {i}", f"other answer {i}", [])
    other_before = await turns(outside, "conv-other")
    assert len(other_before) == 6

    calls = 40
    assert 2 * calls > KEEP_ROWS
    for i in range(calls):
        await memory.remember("conv-main", alex.staff_id, f"question {i}", f"answer {i}", [3, 1, 3])
        assert len(await turns(outside, "conv-main")) == min(2 * (i + 1), KEEP_ROWS)

    kept = await turns(outside, "conv-main")
    first_kept = calls - KEEP_ROWS // 2
    expected = [(role, f"{word} {i}") for i in range(first_kept, calls)
                for role, word in (("user", "question"), ("assistant", "answer"))]
    assert [(role, content) for _, role, content in kept] == expected
    assert [i for i, _, _ in kept] == sorted(i for i, _, _ in kept)
    assert await outside("SELECT DISTINCT student_ids FROM conversation_turns WHERE conversation_id = 'conv-main'") \
        == [([1, 3],)]

    newest = [{"role": role, "content": content} for role, content in expected[-MAX_TURNS:]]
    assert await memory.recent("conv-main", alex.staff_id) == newest
    assert await turns(outside, "conv-other") == other_before

    # The conversation is full, so a successful write would delete its two oldest rows: a failed one deletes none.
    with pytest.raises(asyncpg.exceptions.ForeignKeyViolationError):  # the driver's own error (domain.db)
        await memory.remember("conv-main", MISSING_STAFF_ID, "question x", "answer x", [])
    assert await turns(outside, "conv-main") == kept
    assert await turns(outside, "conv-other") == other_before

    # The connection the failure ran on is fine for the next write.
    await memory.remember("conv-main", alex.staff_id, "question 40", "answer 40", [])
    after = await turns(outside, "conv-main")
    assert len(after) == KEEP_ROWS and after[:-2] == kept[2:]
    assert [content for _, _, content in after[-2:]] == ["question 40", "answer 40"]
