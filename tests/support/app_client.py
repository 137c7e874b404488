"""The real bot app over HTTP against real Postgres and Valkey, with a fake Bot Connector: the client, its settings,
and the fixtures (imported by the conftest.py of each directory that uses them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from agent.openai_backend import OpenAIBackend
from bot.app import create_app
from devtools.fakes.connector import FakeConnector
from devtools.fakes.openai_server import ScriptedOpenAI
from domain.settings import Settings


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector().start()
    yield fake
    await fake.close()


def bot_settings(database_url: str, redis_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "faraday_dev_insecure": True,
        "host": "127.0.0.1",
        "freeze_startup_heap": False,  # the test process's heap is not the bot's (tested in tests/unit/test_heap.py)
        "pre_class_brief_minutes": 0,  # briefs follow the wall clock: only the tests that drive them turn them on
    }
    values.update(overrides)
    return Settings(**values)


class BotClient:
    """Posts activities to a running bot over real HTTP."""

    def __init__(self, server: TestServer, connector: FakeConnector) -> None:
        self.server = server
        self.connector = connector
        self._session = aiohttp.ClientSession()

    @property
    def url(self) -> str:
        return str(self.server.make_url("/api/messages"))

    async def post(self, body: Any, *, raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"data": raw, "headers": headers or {"Content-Type": "application/json"}}
        if raw is None:
            kwargs = {"json": body, "headers": headers} if headers else {"json": body}
        async with self._session.post(self.url, **kwargs) as response:
            text = await response.text()
            try:
                payload = await response.json(content_type=None) if text else None
            except ValueError:
                payload = text
            return response.status, payload

    async def get(self, path: str) -> tuple[int, Any]:
        async with self._session.get(str(self.server.make_url(path))) as response:
            return response.status, await response.json(content_type=None)

    async def close(self) -> None:
        await self._session.close()


async def start_bot(settings: Settings, connector: FakeConnector, **app_kwargs: Any) -> BotClient:
    server = TestServer(create_app(settings, **app_kwargs), host="127.0.0.1")
    await server.start_server()
    return BotClient(server, connector)


@pytest.fixture
def demo_sessions_for():  # type: ignore[no-untyped-def]
    """Sessions on the database a running bot uses (for asserting the rows it wrote)."""
    from bot.routes import ENGINE
    from domain.db import make_sessionmaker

    return lambda client: make_sessionmaker(client.server.app[ENGINE])


@asynccontextmanager
async def serving(settings: Settings, connector: FakeConnector, **app_kwargs: Any) -> AsyncIterator[BotClient]:
    client = await start_bot(settings, connector, **app_kwargs)
    try:
        yield client
    finally:
        await client.close()
        await client.server.close()


@pytest.fixture
async def bot(demo_db_url: str, redis_url: str, connector: FakeConnector) -> AsyncIterator[BotClient]:
    async with serving(bot_settings(demo_db_url, redis_url), connector) as client:
        yield client


@pytest.fixture
async def full_bot(full_db_url: str, redis_url: str, connector: FakeConnector) -> AsyncIterator[BotClient]:
    """The bot on a database with the demo district and the ingested knowledge corpus."""
    async with serving(bot_settings(full_db_url, redis_url), connector) as client:
        yield client


@pytest.fixture
async def model() -> AsyncIterator[ScriptedOpenAI]:
    """The scripted OpenAI-compatible server the real openai SDK talks to; tests set ``model.script``."""
    server = await ScriptedOpenAI().start()
    yield server
    await server.close()


@pytest.fixture
async def ai_bot(
    full_db_url: str, redis_url: str, connector: FakeConnector, model: ScriptedOpenAI
) -> AsyncIterator[BotClient]:
    """The bot on the full database with the model path: the real openai SDK against the scripted ``model``."""
    backend = OpenAIBackend(api_key="test-key", base_url=model.base_url, model="test-model", timeout_s=5)
    try:
        async with serving(bot_settings(full_db_url, redis_url), connector, backend=backend) as client:
            yield client
    finally:
        await backend.close()
