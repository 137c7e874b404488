"""Conversation references against the real Postgres: rewritten only when changed or older than REFRESH_S (also across
turns of one conversation through the app), and a failed write is not remembered as stored."""

from __future__ import annotations

import dataclasses
import types
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.fakes.activities import ALEX, BOT_ID, MEGAN, TENANT
from domain import conversations
from domain.conversations import ConversationService
from tests.support.actors import MISSING_STAFF_ID, actor_for

LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)


def reference(*, aad: str = ALEX, conversation_id: str = "a:hot-path-personal",
              service_url: str = "https://smba.example.invalid/amer/") -> dict[str, Any]:
    return {
        "user": {"id": f"29:{aad}", "name": "Test User", "aadObjectId": aad},
        "bot": {"id": f"28:{BOT_ID}", "name": "Faraday"},
        "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": TENANT},
        "channelId": "msteams",
        "locale": "en-US",
        "serviceUrl": service_url,
    }


async def stored_reference(outside: Any, conversation_id: str = "a:hot-path-personal") -> Any:
    rows = await outside(
        "SELECT staff_id, service_url, reference, updated_at FROM conversation_references"
        " WHERE conversation_id = :id", id=conversation_id,
    )
    assert len(rows) == 1
    return rows[0]


async def age_reference(outside: Any, conversation_id: str = "a:hot-path-personal") -> None:
    await outside("UPDATE conversation_references SET updated_at = :at WHERE conversation_id = :id",
                  at=LONG_AGO, id=conversation_id)


def recently(moment: datetime) -> bool:
    return abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


async def test_an_unchanged_reference_is_not_rewritten_and_a_changed_one_is(
    sessions: async_sessionmaker[AsyncSession], outside: Any
) -> None:
    service = ConversationService(sessions)
    alex = await actor_for(sessions, ALEX)

    await service.remember(alex, reference())
    row = await stored_reference(outside)
    assert row.staff_id == alex.staff_id and row.reference == reference() and recently(row.updated_at)

    await age_reference(outside)
    await service.remember(alex, reference())
    assert (await stored_reference(outside)).updated_at == LONG_AGO  # skipped: same reference, stored just now

    moved = reference(service_url="https://smba.example.invalid/emea/")
    await service.remember(alex, moved)
    row = await stored_reference(outside)
    assert row.service_url == "https://smba.example.invalid/emea/" and row.reference == moved
    assert recently(row.updated_at)

    await age_reference(outside)
    await service.remember(alex, moved)  # the changed reference is now the remembered one
    assert (await stored_reference(outside)).updated_at == LONG_AGO

    # The same conversation (a group chat, say) reached by another member is that member's reference now.
    megan = await actor_for(sessions, MEGAN)
    await service.remember(megan, moved)
    row = await stored_reference(outside)
    assert row.staff_id == megan.staff_id and recently(row.updated_at)

    # Another replica (its own service, its own memory) writes its first sighting.
    await age_reference(outside)
    await ConversationService(sessions).remember(megan, moved)
    assert recently((await stored_reference(outside)).updated_at)


async def test_an_unchanged_reference_is_rewritten_once_refresh_s_has_passed(
    sessions: async_sessionmaker[AsyncSession], outside: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [10_000.0]
    monkeypatch.setattr(conversations, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    service = ConversationService(sessions)
    alex = await actor_for(sessions, ALEX)

    await service.remember(alex, reference())
    await age_reference(outside)
    clock[0] += conversations.REFRESH_S - 1
    await service.remember(alex, reference())
    assert (await stored_reference(outside)).updated_at == LONG_AGO

    clock[0] += 1  # REFRESH_S after the write
    await service.remember(alex, reference())
    assert recently((await stored_reference(outside)).updated_at)

    # And with no refresh window at all every turn writes.
    monkeypatch.setattr(conversations, "REFRESH_S", 0.0)
    await age_reference(outside)
    await service.remember(alex, reference())
    assert recently((await stored_reference(outside)).updated_at)


async def test_a_failed_reference_write_is_not_remembered_as_stored(
    sessions: async_sessionmaker[AsyncSession], outside: Any
) -> None:
    service = ConversationService(sessions)
    ghost = dataclasses.replace(await actor_for(sessions, ALEX), staff_id=MISSING_STAFF_ID)
    for _ in range(2):  # the second attempt is tried again, not skipped as if the first had been stored
        with pytest.raises(exc.IntegrityError):
            await service.remember(ghost, reference())
    assert await outside("SELECT 1 FROM conversation_references WHERE conversation_id = 'a:hot-path-personal'") == []


async def test_turns_in_one_conversation_do_not_rewrite_its_reference(bot: Any, connector: Any, outside: Any) -> None:
    """Every Teams activity has a new id: the reference is still the same conversation, so it is not rewritten."""
    from devtools.fakes.activities import activity

    await bot.post(activity(connector.url, text="hello", conversation_id="a:hot-path-turns"))
    await age_reference(outside, "a:hot-path-turns")
    await bot.post(activity(connector.url, text="hello again", conversation_id="a:hot-path-turns"))
    assert (await stored_reference(outside, "a:hot-path-turns")).updated_at == LONG_AGO
    assert connector.messages()[-1]["_authorization"] is None, "dev mode (no app id): no bearer token is sent"
