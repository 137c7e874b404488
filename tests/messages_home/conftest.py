"""Messages-home fixtures: the demo district on real PostgreSQL, its actors, the fake Microsoft identity platform and
Graph over TLS, the scripted OpenAI server, and the running app (fake Bot Connector)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from devtools.fakes.graph import FakeMicrosoft
from devtools.fakes.openai_server import ScriptedOpenAI
from domain.actor import Actor
from domain.identity import IdentityService
from tests.support.app_client import bot, connector  # noqa: F401 - the running app, for test_app


async def _actor(sessions: Any, email: str) -> Actor:
    actor = await IdentityService(sessions).by_email(email)
    assert actor is not None
    return actor


@pytest.fixture
async def alex(demo_sessions: Any) -> Actor:
    return await _actor(demo_sessions, "alexw@example.com")


@pytest.fixture
async def isaiah(demo_sessions: Any) -> Actor:
    return await _actor(demo_sessions, "isaiahl@example.com")


@pytest.fixture
async def microsoft(tmp_path: Path, alex: Actor) -> AsyncIterator[FakeMicrosoft]:
    fake = await FakeMicrosoft(tmp_path, mailboxes={alex.aad_object_id}).start()
    yield fake
    await fake.close()


@pytest.fixture
async def model_server() -> AsyncIterator[ScriptedOpenAI]:
    fake = await ScriptedOpenAI().start()
    yield fake
    await fake.close()
