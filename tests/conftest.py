"""Shared fixtures: real embedded PostgreSQL + pgvector and Valkey, per-test databases cloned from templates,
and a guard that fails any connection to a host other than this machine."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from devtools.embedded_servers import EmbeddedPostgres, EmbeddedRedis
from knowledge import CORPUS_DIR
from tests.support.databases import clone_database, database_url

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

# Tests build their Settings explicitly; nothing from the developer's or CI's environment leaks in.
for _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "REDIS_URL", "MICROSOFT_APP_ID",
              "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID", "FARADAY_DEV_INSECURE", "HOST", "PORT"):
    os.environ.pop(_name, None)

MIGRATED = "tpl_migrated"
SEEDED = "tpl_seeded"
FULL = "tpl_full"
CORPUS = CORPUS_DIR


# --- no network but loopback -------------------------------------------------------------------------------------
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # unix socket path
        return True
    host = str(address[0]) if isinstance(address, tuple) else ""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _local(address):
        raise AssertionError(f"test tried to reach a real host: {address!r}")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _local(address):
        raise AssertionError(f"test tried to reach a real host: {address!r}")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    name = host.decode() if isinstance(host, bytes) else host
    if name not in (None, "localhost") and not _is_ip(name):
        raise AssertionError(f"test tried to resolve a real host name: {name!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo


# --- PostgreSQL ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", database="postgres_admin")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated_template(postgres: EmbeddedPostgres) -> str:
    from domain import migrate

    postgres.psql(f"CREATE DATABASE {MIGRATED}")
    migrate.upgrade(database_url(postgres, MIGRATED))
    return MIGRATED


@pytest.fixture(scope="session")
def seeded_template(postgres: EmbeddedPostgres, migrated_template: str) -> str:
    from domain.db import make_engine, make_sessionmaker
    from domain.seed import seed_demo

    postgres.psql(f"CREATE DATABASE {SEEDED} TEMPLATE {migrated_template}")

    async def seed() -> None:
        engine = make_engine(database_url(postgres, SEEDED), pool_size=2)
        try:
            await seed_demo(make_sessionmaker(engine))
        finally:
            await engine.dispose()

    asyncio.run(seed())
    return SEEDED


@pytest.fixture(scope="session")
def full_template(postgres: EmbeddedPostgres, seeded_template: str) -> str:
    """The demo district plus the knowledge corpus ingested with the local MiniLM embedder; the safety topics' and
    situations' example vectors embedded too, as the app's warm-up does (cached on disk: a bot started by a test
    answers its first safety question without embedding them, even on a machine with an empty cache)."""
    from domain.db import make_engine, make_sessionmaker
    from knowledge import situations, topics
    from knowledge.embedders import MiniLMEmbedder
    from knowledge.ingest import ingest

    postgres.psql(f"CREATE DATABASE {FULL} TEMPLATE {seeded_template}")

    async def load() -> None:
        engine = make_engine(database_url(postgres, FULL), pool_size=2)
        try:
            report = await ingest(make_sessionmaker(engine), MiniLMEmbedder(), CORPUS)
            assert not report.errors, report.errors
        finally:
            await engine.dispose()
        await topics.topic_index()
        situations.warm_up()

    asyncio.run(load())
    return FULL


@pytest.fixture
def empty_db_url(postgres: EmbeddedPostgres, migrated_template: str) -> Iterator[str]:
    """A fresh database migrated to head, with no rows."""
    yield from clone_database(postgres, migrated_template)


@pytest.fixture
def demo_db_url(postgres: EmbeddedPostgres, seeded_template: str) -> Iterator[str]:
    """A fresh database with the demo district seeded."""
    yield from clone_database(postgres, seeded_template)


@pytest.fixture
def full_db_url(postgres: EmbeddedPostgres, full_template: str) -> Iterator[str]:
    """A fresh database with the demo district and the ingested knowledge corpus."""
    yield from clone_database(postgres, full_template)


@pytest.fixture
async def demo_sessions(demo_db_url: str) -> AsyncIterator[object]:
    from domain.db import make_engine, make_sessionmaker

    engine = make_engine(demo_db_url, pool_size=4)
    yield make_sessionmaker(engine)
    await engine.dispose()


# --- Redis (Valkey) ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = EmbeddedRedis(Path(tmp_path_factory.mktemp("valkey")))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
async def redis_url(redis_server: str) -> AsyncIterator[str]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_server)
    await client.flushall()
    await client.aclose()
    yield redis_server
