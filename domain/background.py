"""Every replica's loop for background jobs an admin starts in Teams (SharePoint syncs, installing Faraday for staff):
the work never holds the Teams turn, which Teams re-sends after 15 s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.identity import actor_from_row, staff_actor_columns
from domain.models import Role, Staff

log = logging.getLogger(__name__)

POLL_S = 5.0


class Jobs(Protocol):
    wake: asyncio.Event  # set when this replica queues a job: its loop starts it at once

    async def run_due(self) -> int: ...


async def run_jobs(jobs: Jobs, *, poll_s: float = POLL_S) -> None:
    """Until cancelled: run due jobs; wait ``poll_s`` or until this replica queues one."""
    while True:
        try:
            ran = await jobs.run_due()
        except Exception as exc:  # the database or Graph down: the row stays claimed until its lease ends
            log.warning("background job failed", extra={"jobs": type(jobs).__name__, "error": type(exc).__name__})
            ran = 0
        if ran:
            continue
        jobs.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(jobs.wake.wait(), poll_s)


async def current_admin(sessions: async_sessionmaker[AsyncSession], staff_id: int) -> Actor | None:
    """Who a job runs as: the admin who asked, if they still are one when it runs (else None: the job does nothing)."""
    async with sessions() as session:
        row = (await session.execute(staff_actor_columns().where(Staff.id == staff_id))).first()
    actor = None if row is None else actor_from_row(tuple(row))
    return actor if actor is not None and actor.role == Role.admin else None
