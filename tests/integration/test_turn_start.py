"""domain/turn_start.py: a message turn's identity and its history in one statement, equal to what IdentityService
and ConversationMemory answer separately, and never anyone else's turns."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.fakes.activities import ALEX, ISAIAH, STRANGER, TENANT
from domain.db import make_engine, make_sessionmaker
from domain.identity import IdentityService
from domain.memory import MAX_CHARS, ConversationMemory
from domain.models import Staff
from domain.turn_start import TurnStart


@pytest.fixture
async def sessions(demo_db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(demo_db_url, pool_size=2)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_the_actor_is_the_one_identity_resolves_for_every_staff_member(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as s:
        people = (await s.execute(select(Staff.tenant_id, Staff.aad_object_id))).all()
    assert len(people) > 5
    identity, start = IdentityService(sessions), TurnStart(sessions)
    for tenant, aad in people:
        actor, history = await start.load(tenant, aad, "a:nothing-yet")
        assert actor == await identity.resolve(tenant, aad)
        assert history == []


async def test_the_history_is_the_callers_own_in_this_conversation_trimmed_as_memory_trims_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    memory, start = ConversationMemory(sessions, sessions), TurnStart(sessions)
    alex = await IdentityService(sessions).resolve(TENANT, ALEX)
    isaiah = await IdentityService(sessions).resolve(TENANT, ISAIAH)
    assert alex and isaiah
    for i in range(7):
        await memory.remember("a:group", alex.staff_id, f"alex asks {i}", f"answer {i} " + "x" * (i * 200), [])
        await memory.remember("a:group", isaiah.staff_id, f"isaiah asks {i}", f"isaiah's answer {i}", [])
        await memory.remember("a:elsewhere", alex.staff_id, f"elsewhere {i}", f"elsewhere answer {i}", [])
    actor, history = await start.load(TENANT, ALEX, "a:group")
    assert actor == alex
    assert history == await memory.recent("a:group", alex.staff_id)
    assert history and all("isaiah" not in turn["content"] and "elsewhere" not in turn["content"] for turn in history)
    assert history[0]["role"] == "user" and sum(len(t["content"]) for t in history) <= MAX_CHARS


async def test_unknown_inactive_and_implausible_callers_get_no_actor_and_no_history(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    memory, start = ConversationMemory(sessions, sessions), TurnStart(sessions)
    alex = await IdentityService(sessions).resolve(TENANT, ALEX)
    assert alex
    await memory.remember("a:chat", alex.staff_id, "question", "answer", [])
    assert await start.load(TENANT, STRANGER, "a:chat") == (None, [])
    assert await start.load("another-tenant", ALEX, "a:chat") == (None, [])
    assert await start.load(TENANT, "x' OR '1'='1", "a:chat") == (None, [])
    assert await start.load(None, ALEX, "a:chat") == (None, [])
    async with sessions() as s, s.begin():
        await s.execute(text("UPDATE staff SET active = false WHERE id = :id"), {"id": alex.staff_id})
    assert await start.load(TENANT, ALEX, "a:chat") == (None, [])
