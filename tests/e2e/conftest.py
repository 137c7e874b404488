"""End-to-end fixtures: the real bot as a subprocess (`python -m bot run`) on the demo database, and the
Microsoft 365 Agents Playground in front of it, driven by playwright-core in Debian's headless chromium."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from devtools.embedded_servers import EmbeddedPostgres
from devtools.playground import BIN, Playground
from tests.support.bot_process import bot_process, free_port
from tests.support.databases import database_url

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def e2e_db_url(postgres: EmbeddedPostgres, full_template: str) -> Iterator[str]:
    name = f"e2e_{os.getpid()}_{int(time.time() * 1000) % 100000}"
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE {full_template}")
    yield database_url(postgres, name)
    postgres.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def bot_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bot subprocess's stdout and stderr (JSON log lines): quote its tail when an end-to-end step fails."""
    return tmp_path_factory.mktemp("bot") / "bot.log"


@pytest.fixture(scope="module")
def bot_endpoint(e2e_db_url: str, redis_server: str, bot_log: Path) -> Iterator[str]:
    if not BIN.exists() or not CHROMIUM.exists():
        pytest.fail("end-to-end tests need `scripts/setup --browser` (npm packages and Debian chromium)")
    # Each module's bot starts on an empty Valkey, as a fresh deployment would: the modules' users (Alex in most)
    # would otherwise share one per-user rate-limit window across the whole end-to-end run.
    client = Redis.from_url(redis_server)
    client.flushall()
    client.close()
    with bot_process(e2e_db_url, redis_server, bot_log) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def playground(bot_endpoint: str) -> Iterator[Playground]:
    """Alex Wilber, a PE teacher, in his personal chat with Faraday."""
    with Playground(bot_endpoint, port=free_port()) as pg:
        yield pg


@pytest.fixture(scope="module")
def admin_playground(bot_endpoint: str) -> Iterator[Playground]:
    """Megan Bowen, an admin, in a second Playground in front of the same bot."""
    with Playground(bot_endpoint, port=free_port(), user="Megan Bowen") as pg:
        yield pg
