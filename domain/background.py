"""Every replica's loop for background jobs an admin starts in Teams (SharePoint syncs, installing Faraday for staff):
the work never holds the Teams turn, which Teams re-sends after 15 s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from sqlalchemy import TextClause, text
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


def job_statements(jobs: str, notices: str, returning: str) -> tuple[TextClause, TextClause]:
    """A job table's claim and finish statements (columns status, attempts, claimed_until, requested_by, result,
    finished_at). Claim: the oldest pending job, or a running one whose lease ended, for ``:until``, returning ``j.id``,
    ``returning`` and ``j.attempts``. Finish: still this claim's job (``:id``, ``:attempts``) → done with ``:result``,
    and its notice queued in ``notices`` (the outbox row the relay sends) in the same statement."""
    claim = text(f"""
        WITH due AS (
            SELECT id FROM {jobs}
            WHERE status = 'pending' OR (status = 'running' AND claimed_until < :now)
            ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
        )
        UPDATE {jobs} j SET status = 'running', attempts = j.attempts + 1, claimed_until = :until
        FROM due WHERE j.id = due.id
        RETURNING j.id, {returning}, j.attempts
    """)  # noqa: S608 (table names are this module's callers' constants)
    finish = text(f"""
        WITH done AS (
            UPDATE {jobs} SET status = 'done', result = CAST(:result AS jsonb), finished_at = :now
            WHERE id = :id AND status = 'running' AND attempts = :attempts
            RETURNING id, requested_by
        )
        INSERT INTO {notices} (job_id, staff_id, status, attempts, next_attempt_at)
        SELECT id, requested_by, 'pending', 0, :now FROM done
    """)  # noqa: S608
    return claim, finish
