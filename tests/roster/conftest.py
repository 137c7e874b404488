"""Roster tests: the real samples and hand-built exports imported into real PostgreSQL (the demo district seeded,
so every test also shows the demo rows are left alone)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import make_engine, make_sessionmaker
from domain.settings import Settings
from tests.support.app_client import connector  # noqa: F401 - the fake Bot Connector fixture, for test_linking

FIXTURES = Path(__file__).parent / "fixtures"
ROSTER_TABLES = ("districts", "schools", "staff", "classes", "students", "enrollments", "guardians", "roster_imports")


@pytest.fixture
async def sessions(demo_db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(demo_db_url, pool_size=4)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def settings(demo_db_url: str) -> Settings:
    return Settings(database_url=demo_db_url)


@pytest.fixture
def sample(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A writable copy of a fixture folder (for building changed and broken exports)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, list[Any]]:
    """Every row of the roster tables, as text, in a stable order: equal snapshots mean nothing changed."""
    result: dict[str, list[Any]] = {}
    async with sessions() as session:
        for table in ROSTER_TABLES:
            rows = await session.execute(text(f"SELECT t::text FROM {table} t ORDER BY 1"))  # fixed table names
            result[table] = [r[0] for r in rows]
    return result


def rewrite(path: Path, transform) -> None:  # type: ignore[no-untyped-def]
    """Rewrite a CSV file's lines (CRLF kept) through ``transform(lines) -> lines``."""
    raw = path.read_bytes().decode("utf-8-sig")
    lines = raw.replace("\r\n", "\n").rstrip("\n").split("\n")
    path.write_bytes(("\r\n".join(transform(lines)) + "\r\n").encode())
