"""The Graph education sync on a schedule (``ROSTER_GRAPH_SYNC_MINUTES`` > 0 and Graph configured): each bot
replica runs this loop; a replica skips its turn when any replica synced within the interval (the last row of
``roster_imports``), and the sync itself holds a transaction-level advisory lock, so two never overlap. A failed
sync is logged (counts of errors, never values) and retried at the next interval; it never stops the bot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.roster.graph import GraphEducation
from domain.roster.service import last_import, sync_graph
from domain.settings import Settings

log = logging.getLogger(__name__)


async def scheduled_graph_sync(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, runs: int | None = None,
    client: GraphEducation | None = None, now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Sync, wait the interval, repeat (``runs`` times, or until cancelled); returns how many syncs ran."""
    interval = timedelta(minutes=settings.roster_graph_sync_minutes)
    turns = synced = 0
    while runs is None or turns < runs:
        turns += 1
        try:
            last = await last_import(sessions)
            if last is not None and last.format == "graph" and now() - last.at < interval * 0.9:
                log.info("graph roster sync skipped: synced recently")
            else:
                report = await sync_graph(sessions, settings, dry_run=False, all_classes=False, client=client)
                synced += 1
                log.info("graph roster sync", extra={"errors": len(report.errors), "changed": report.changed})
        except Exception as exc:  # the database or Graph down: try again next time
            log.warning("graph roster sync failed", extra={"error": type(exc).__name__})
        if runs is None or turns < runs:
            await sleep(interval.total_seconds())
    return synced
