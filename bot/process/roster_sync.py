"""The scheduled Graph roster sync as an app resource (cleanup_ctx): started with the app when
``ROSTER_GRAPH_SYNC_MINUTES`` > 0 and Graph is configured, cancelled on shutdown (``domain.roster.schedule``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any


async def graph_sync_ctx(app: Any) -> AsyncIterator[None]:
    """cleanup_ctx: the scheduled Graph roster sync, when ``ROSTER_GRAPH_SYNC_MINUTES`` > 0 and Graph is set up."""
    from bot.routes import ENGINE, SETTINGS
    from domain.db import make_sessionmaker
    from domain.roster.schedule import scheduled_graph_sync

    settings = app[SETTINGS]
    task = None
    if settings.roster_graph_sync_minutes > 0 and settings.graph_configured:
        task = asyncio.create_task(scheduled_graph_sync(make_sessionmaker(app[ENGINE]), settings))
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
