"""``domain.db.autocommit`` against the real Postgres: each statement commits at once, without a transaction, and the
pooled connection is transactional again afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.db import autocommit, make_sessionmaker, unit_of_work


@pytest.fixture
async def probe(outside: Any) -> str:
    await outside("CREATE TABLE hot_path_probe (n integer NOT NULL)")
    return "hot_path_probe"


async def probe_values(outside: Any) -> list[int]:
    return [int(r.n) for r in await outside("SELECT n FROM hot_path_probe ORDER BY n")]


async def test_autocommit_commits_each_statement_at_once(
    sessions: async_sessionmaker[AsyncSession], outside: Any, probe: str
) -> None:
    async with autocommit(sessions) as session:
        await session.execute(text("INSERT INTO hot_path_probe VALUES (1)"))
        assert await probe_values(outside) == [1]  # visible to another connection before the session ends
        assert (await session.execute(text("SELECT pg_current_xact_id_if_assigned()"))).scalar_one() is None

    async with unit_of_work(sessions) as session:  # the contrast: a transaction is invisible until it commits
        await session.execute(text("INSERT INTO hot_path_probe VALUES (2)"))
        assert await probe_values(outside) == [1]
        assert (await session.execute(text("SELECT pg_current_xact_id_if_assigned()"))).scalar_one() is not None
    assert await probe_values(outside) == [1, 2]


async def test_autocommit_does_not_leave_autocommit_on_the_pooled_connection(
    one_connection: AsyncEngine, outside: Any, probe: str
) -> None:
    sessions = make_sessionmaker(one_connection)
    async with autocommit(sessions) as session:
        autocommit_pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()

    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one() == autocommit_pid
            await session.execute(text("INSERT INTO hot_path_probe VALUES (1)"))
            raise RuntimeError("the work fails after its first write")
    assert await probe_values(outside) == []  # rolled back: the same connection is transactional again
