"""Fixtures that run the real bot app over HTTP against real Postgres and Valkey, with a fake Bot Connector; and, for
the tests of a single service against the demo database, its pool and a connection of its own beside it."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from domain.db import asyncpg_url, make_engine, make_sessionmaker
from tests.support.app_client import (  # noqa: F401 - fixtures
    ai_bot,
    bot,
    connector,
    demo_sessions_for,
    full_bot,
    model,
)


@pytest.fixture
async def engine(demo_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(demo_db_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def one_connection(demo_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(demo_db_url, pool_size=1)
    yield engine
    await engine.dispose()


@pytest.fixture
async def outside(demo_db_url: str) -> AsyncIterator[Any]:
    """Runs one statement on a connection of its own (not the pool under test), committed at once."""
    other = create_async_engine(asyncpg_url(demo_db_url), poolclass=NullPool)

    async def run(sql: str, **params: Any) -> list[Any]:
        async with other.begin() as connection:
            result = await connection.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    yield run
    await other.dispose()
