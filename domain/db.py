"""Engine, session factory and the unit of work: every write commits whole or not at all."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
from sqlalchemy import event, exc, text
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# A pooled connection used less than this long ago is handed out without a liveness check (as HikariCP's
# aliveBypassWindowMs does): under load every checkout would otherwise cost a round trip (SQLAlchemy's own pre-ping
# costs three: BEGIN, ping, ROLLBACK). A connection that died inside the window fails its statement; SQLAlchemy
# then invalidates the whole pool, so only turns already in flight see the error.
PING_AFTER_IDLE_S = 1.0


def asyncpg_url(url: str) -> str:
    """Normalise ``postgres://`` / ``postgresql://`` URLs (including unix-socket ``?host=/dir``) for asyncpg."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


def describe_url(url: str) -> str:
    """A loggable description of a database URL, without the password."""
    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["?"])[0]
    return f"{parts.scheme}://{host}{parts.path}"


def make_engine(url: str, *, pool_size: int = 10, durable_commits: bool = True) -> AsyncEngine:
    """``durable_commits=False``: every commit on this engine's connections returns before its WAL reaches the disk
    (``synchronous_commit = off``): a crash can lose the last fraction of a second of what was written through it,
    never leaves it inconsistent. Only for convenience records (conversation memory), never for records of work."""
    engine = create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        connect_args={} if durable_commits else {"server_settings": {"synchronous_commit": "off"}},
    )
    _ping_idle_connections(engine)  # survive a database restart without restarting the bot
    return engine


def _ping_idle_connections(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # new, or used a moment ago
        try:
            dbapi_connection.run_async(lambda connection: connection.fetchrow(";"))  # one round trip, no BEGIN
        except Exception as error:
            raise exc.DisconnectionError("pooled connection is dead") from error  # the pool retries with a new one


# Errors after which a connection is gone: as SQLAlchemy does for its own statements, the whole pool is invalidated
# (every connection made before now is replaced at its next checkout), so one dead connection fails one statement.
_GONE: tuple[type[BaseException], ...] = (
    OSError, asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError,
)


@asynccontextmanager
async def driver_connection(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection's own asyncpg connection, for the few statements every turn runs: no ORM session, no
    greenlet hop per statement (~0.6 ms of CPU each, measured). Each statement commits on its own (no BEGIN), as in
    ``autocommit``. SQL is literal text with ``$n`` parameters, or a construct compiled once (``driver_sql``);
    errors are asyncpg's own, except that a lost connection invalidates the pool as SQLAlchemy would."""
    engine = sessions.kw["bind"]
    async with engine.connect() as connection:
        fairy = await connection.get_raw_connection()
        try:
            yield fairy.driver_connection
        except _GONE as error:
            engine.sync_engine.pool._invalidate(fairy, error)  # what Connection does on a disconnect
            await connection.invalidate(error)
            raise


@dataclass(frozen=True, slots=True)
class DriverSQL:
    """A SQLAlchemy construct compiled once for asyncpg: its ``$n`` text and how to order the parameters."""

    text: str
    names: tuple[str, ...]
    defaults: dict[str, Any]

    def args(self, params: dict[str, Any]) -> list[Any]:
        return [params[name] if name in params else self.defaults[name] for name in self.names]

    async def fetch(self, connection: asyncpg.Connection, **params: Any) -> list[asyncpg.Record]:
        records: list[asyncpg.Record] = await connection.fetch(self.text, *self.args(params))
        return records

    async def fetchrow(self, connection: asyncpg.Connection, **params: Any) -> asyncpg.Record | None:
        record: asyncpg.Record | None = await connection.fetchrow(self.text, *self.args(params))
        return record

    async def execute(self, connection: asyncpg.Connection, **params: Any) -> str:
        status: str = await connection.execute(self.text, *self.args(params))
        return status


def driver_sql(statement: Any) -> DriverSQL:
    compiled = statement.compile(dialect=_ASYNCPG_DIALECT)
    return DriverSQL(str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params))


# SQLAlchemy leaves the dialect constructors unannotated.
_ASYNCPG_DIALECT = postgresql_asyncpg.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database (``SELECT 1``): raises when it is unreachable. The health check's probe."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def autocommit(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose every statement commits on its own: no BEGIN and no COMMIT/ROLLBACK round trips. For reads,
    and for writes that are each one self-contained statement; when two writes must commit together, or two reads must
    see one snapshot, use ``unit_of_work``."""
    async with sessions() as session:
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A transaction that commits when the block ends normally and rolls back on any exception."""
    async with sessions() as session, session.begin():
        yield session
