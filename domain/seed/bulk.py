"""Batched multi-row inserts through the session's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import Base

BATCH = 5000


async def insert_rows(session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    table: Table = model.__table__  # type: ignore[assignment]
    for start in range(0, len(rows), BATCH):
        await session.execute(insert(table), list(rows[start : start + BATCH]))


async def insert_returning_ids(session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert and return the new ids in the order of ``rows``."""
    table: Table = model.__table__  # type: ignore[assignment]
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        result = await session.execute(stmt, list(rows[start : start + BATCH]))
        ids.extend(result.scalars().all())
    if len(ids) != len(rows):
        raise RuntimeError(f"{table.name}: inserted {len(ids)} of {len(rows)} rows")
    return ids
