"""The connection pool against the real Postgres: a pooled connection idle past the window is pinged at checkout and
replaced when dead; one that died within the window fails one statement (SQLAlchemy's or the driver's own), then the
pool recovers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import db
from domain.db import make_sessionmaker


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate(outside: Any, pid: int) -> None:
    assert (await outside("SELECT pg_terminate_backend(:pid) AS done", pid=pid)) == [(True,)]
    for _ in range(200):  # the backend goes away asynchronously
        if not await outside("SELECT 1 FROM pg_stat_activity WHERE pid = :pid", pid=pid):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"backend {pid} is still alive")


async def test_a_pooled_connection_idle_past_the_window_is_pinged_and_replaced_when_dead(
    one_connection: AsyncEngine, outside: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = await backend_pid(one_connection)
    assert await backend_pid(one_connection) == pid  # one pooled connection, reused
    await terminate(outside, pid)
    assert one_connection.pool.checkedin() == 1  # the dead connection is still in the pool

    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # as if it had been idle past the window
    replaced = await backend_pid(one_connection)  # no error: the checkout ping saw it dead, the pool reconnected
    assert replaced != pid


async def test_a_connection_that_died_within_the_window_fails_one_statement_then_the_pool_recovers(
    one_connection: AsyncEngine, outside: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)  # never idle long enough to be pinged
    pid = await backend_pid(one_connection)
    await terminate(outside, pid)

    with pytest.raises(exc.DBAPIError) as failure:  # the trade-off: no ping, so the in-flight statement fails
        await backend_pid(one_connection)
    assert failure.value.connection_invalidated

    replaced = await backend_pid(one_connection)  # the pool was invalidated: the next checkout reconnects
    assert replaced != pid


async def test_a_dead_connection_under_the_driver_fails_one_statement_then_the_pool_is_replaced(
    one_connection: AsyncEngine, outside: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """domain.db.driver_connection: a lost connection invalidates the pool as SQLAlchemy's own statements do."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)  # never pinged: the statement itself finds it dead
    sessions = make_sessionmaker(one_connection)
    pid = await backend_pid(one_connection)
    await terminate(outside, pid)

    with pytest.raises(db._GONE):  # closed, reset or shut down, as the driver happens to notice it
        async with db.driver_connection(sessions) as connection:
            await connection.fetchval("SELECT 1")

    async with db.driver_connection(sessions) as connection:  # the next checkout reconnects
        assert await connection.fetchval("SELECT pg_backend_pid()") != pid
