"""The approved SharePoint folders synced on a schedule (``KNOWLEDGE_SHAREPOINT_SYNC_MINUTES`` > 0 and Graph
configured). Every bot replica runs this loop; a folder any replica synced within the interval is skipped, and a sync
holds its folder's advisory lock, so two replicas never sync one folder at once. A failure (the database or Graph
down) is logged as counts and the error's type, never file names or values, and retried at the next interval; it
never stops the bot. Audited as the process ``faraday:schedule`` (``knowledge.sharepoint``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from knowledge.sharepoint import SharePointSync, SyncReport

log = logging.getLogger(__name__)
VIA = "schedule"


async def sync_due(sync: SharePointSync, interval: timedelta, now: datetime) -> list[SyncReport]:
    """Sync each approved folder not synced within (most of) ``interval``; the reports of those synced."""
    reports = []
    for folder in await sync.folders():
        if folder.last_synced_at is not None and now - folder.last_synced_at < interval * 0.9:
            continue
        reports.append(await sync.sync(folder.id, via=VIA))
    return reports


async def scheduled_sharepoint_sync(
    sync: SharePointSync, minutes: float, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    runs: int | None = None, now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Sync what is due, wait the interval, repeat (``runs`` times, or until cancelled); returns the folders synced."""
    interval = timedelta(minutes=minutes)
    turns = synced = 0
    while runs is None or turns < runs:
        turns += 1
        try:
            reports = await sync_due(sync, interval, now())
            synced += len(reports)
            for report in reports:
                log.info("scheduled sharepoint sync", extra={
                    "added": len(report.added), "updated": len(report.updated), "retired": len(report.retired),
                    "errors": len(report.errors), "failed": bool(report.failed)})
        except Exception as exc:  # the database or Graph down: try again next time
            log.warning("scheduled sharepoint sync failed", extra={"error": type(exc).__name__})
        if runs is None or turns < runs:
            await sleep(interval.total_seconds())
    return synced
