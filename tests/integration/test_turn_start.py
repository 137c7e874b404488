"""domain/turn_start.py: a message turn's identity and its history in one statement, equal to what IdentityService
and ConversationMemory answer separately, and never anyone else's turns. The reference side is also written here
independently (plain SQL and a plain trimming loop): the services share query builders with the code under test."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.fakes.activities import ALEX, ISAIAH, STRANGER, TENANT
from domain.actor import Actor
from domain.identity import IdentityService
from domain.memory import MAX_CHARS, MAX_TURNS, ConversationMemory
from domain.models import Role, Staff
from domain.turn_start import TurnStart

ACTOR_SQL = text("""
    SELECT s.id, s.school_id, s.role, s.tenant_id, s.aad_object_id, s.display_name, s.email, sc.name, sc.time_zone
    FROM staff AS s JOIN schools AS sc ON sc.id = s.school_id
    WHERE s.tenant_id = :tenant AND s.aad_object_id = :aad AND s.active
""")
TURNS_SQL = text("""
    SELECT role, content FROM conversation_turns
    WHERE conversation_id = :conversation AND staff_id = :staff
    ORDER BY id DESC LIMIT :turns
""")


async def _reference_actor(sessions: async_sessionmaker[AsyncSession], tenant: str, aad: str) -> Actor | None:
    async with sessions() as s:
        row = (await s.execute(ACTOR_SQL, {"tenant": tenant, "aad": aad})).one_or_none()
    if row is None:
        return None
    staff_id, school_id, role, *rest = row
    return Actor(staff_id, school_id, Role[role] if role in Role.__members__ else Role(role), *rest)


async def _reference_history(sessions: async_sessionmaker[AsyncSession], conversation: str,
                             staff_id: int) -> list[dict[str, str]]:
    """The newest MAX_TURNS turns, kept newest-first while they fit in MAX_CHARS, then oldest first, from the first
    user message on."""
    async with sessions() as s:
        rows = (await s.execute(TURNS_SQL, {"conversation": conversation, "staff": staff_id,
                                            "turns": MAX_TURNS})).all()
    kept, used = [], 0
    for role, content in rows:
        if used + len(content) > MAX_CHARS:
            break
        kept.append({"role": role, "content": content})
        used += len(content)
    kept.reverse()
    first_user = next((i for i, turn in enumerate(kept) if turn["role"] == "user"), len(kept))
    return kept[first_user:]


async def test_the_actor_is_the_one_identity_resolves_for_every_staff_member(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as s:
        people = (await s.execute(select(Staff.tenant_id, Staff.aad_object_id))).all()
    assert len(people) > 5
    identity, start = IdentityService(sessions), TurnStart(sessions)
    for tenant, aad in people:
        actor, history = await start.load(tenant, aad, "a:nothing-yet")
        reference = await _reference_actor(sessions, tenant, aad)
        assert actor == reference and actor == await identity.resolve(tenant, aad)
        assert history == []
    assert {a.role for a in [await _reference_actor(sessions, t, a) for t, a in people] if a} == set(Role)


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
    reference = await _reference_history(sessions, "a:group", alex.staff_id)
    assert history == reference and history == await memory.recent("a:group", alex.staff_id)
    assert 2 < len(history) < 14, "trimmed by the character budget, not the whole conversation"
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
