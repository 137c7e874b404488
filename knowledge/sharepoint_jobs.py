"""SharePoint syncs an admin asks for in Teams run in the background: a long sync never holds the Teams turn (Teams
re-sends an activity after 15 s).

``knowledge sync sharepoint SITE FOLDER`` checks the admin, approves the folder through Graph (a bad site or folder is
answered at once, nothing changed) and queues a job row (``knowledge_sharepoint_jobs``), audited
``knowledge.sharepoint.sync.start``; the reply says it started. One queued or running job per folder (a unique
index): asking again while one runs queues nothing more.

Every bot replica runs ``domain.background.run_jobs``; the replica that claims the row (``FOR UPDATE SKIP LOCKED``,
a lease in ``claimed_until``) runs the sync as the admin (each document change and the sync itself audited by
``knowledge.sharepoint`` with the admin as actor), then stores the result and writes its notice (an outbox row in
``knowledge_sync_notices``) in the same statement. A replica that dies mid-sync leaves the row running until the
lease ends; another then takes it over (the folder's advisory lock keeps two syncs of one folder apart; after
``MAX_ATTEMPTS`` claims the job is reported as stopped). The admin must still be an active admin when the job runs.

``SyncNoticeRelay`` (a job of the alert runner) sends the result to the admin's 1:1 chat: the counts, and each file
that could not be read by name with the reason; audited ``knowledge.sharepoint.sync.notify``. It runs on the shared
outbox (``domain/outbox``): claims leased, outcomes fenced on (status, attempts), retries with backoff, and the Redis
send journal, so a notice is sent once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.background import current_admin, job_statements
from domain.db import unit_of_work
from domain.errors import DomainError, NotFound
from domain.models import KnowledgeSharePointFolder, KnowledgeSyncNotice
from domain.outbox import Clock, JobNoticeClaim, JobNoticeRelay, OutboxTable, Sent, Target, utc_now
from knowledge.sharepoint import SharePointSync, SyncReport, Trigger

log = logging.getLogger(__name__)

VIA = "teams"
EVERY_FOLDER = "every approved SharePoint folder"
LEASE = timedelta(minutes=30)  # longer than a sync takes; a replica that died is taken over after it
MAX_ATTEMPTS = 3

_QUEUE = text(
    "INSERT INTO knowledge_sharepoint_jobs (folder_id, requested_by, folder_label) VALUES (:folder, :by, :label) "
    "ON CONFLICT ((coalesce(folder_id, 0))) WHERE status IN ('pending', 'running') DO NOTHING RETURNING id"
)
# Claim with a lease; finish with the notice in the same statement (domain.background.job_statements).
_CLAIM, _FINISH = job_statements("knowledge_sharepoint_jobs", "knowledge_sync_notices",
                                 "j.folder_id, j.requested_by, j.folder_label")
_LOAD_NOTICE = text(
    "SELECT j.id, j.folder_label, j.result FROM knowledge_sync_notices n "
    "JOIN knowledge_sharepoint_jobs j ON j.id = n.job_id WHERE n.id = :id"
)


@dataclass(frozen=True, slots=True)
class Started:
    job_id: int | None  # None: a sync of this folder was already queued or running; nothing more was queued
    label: str


@dataclass(frozen=True, slots=True)
class SyncNotice:
    """What the admin is told when the job finishes."""

    label: str
    reports: list[SyncReport] = field(default_factory=list)
    problem: str | None = None  # the job could not run at all (no longer an admin, folder gone, stopped)


class SyncNoticeSender(Protocol):
    async def send(self, target: Target, notice: SyncNotice) -> Sent: ...


class SharePointJobs:
    """The admin command's side (``start``) and the background side (``run_due``) of SharePoint syncs in Teams."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], sync: SharePointSync, *, lease: timedelta = LEASE,
                 clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self.sync = sync
        self._lease = lease
        self._clock = clock
        self.wake = asyncio.Event()  # set when a job is queued here: this replica's loop starts it at once

    async def start(self, actor: Actor, site: str | None, folder: str | None) -> Started:
        """Check the admin, approve ``site``/``folder`` (None: every approved folder), queue the sync; never syncs.

        Raises ``NotAllowed`` (audited) for anyone but an admin, ``InvalidInput`` for a site or folder Graph does not
        know, ``NotFound`` when no folder is approved and none is given."""
        if site is not None:
            folder_id: int | None = await self.sync.approve(site, folder or "", actor=actor, via=VIA)
            async with self._sessions() as session:
                row = await session.get(KnowledgeSharePointFolder, folder_id)
                assert row is not None
                label = f"{row.site}/{row.folder_path}".rstrip("/")
        else:
            await self.sync.check_allowed(actor, action="knowledge.sharepoint.sync", via=VIA)
            if not await self.sync.folders():
                raise NotFound("No SharePoint folder is connected yet: **knowledge sync sharepoint** "
                               "contoso.sharepoint.com/sites/PE Safety")
            folder_id, label = None, EVERY_FOLDER
        async with unit_of_work(self._sessions) as session:
            job_id = await session.scalar(_QUEUE, {"folder": folder_id, "by": actor.staff_id, "label": label[:700]})
            if job_id is not None:
                await Trigger(actor, VIA).audit(session, action="knowledge.sharepoint.sync.start",
                                                subject_type="knowledge_sharepoint_job", subject_ids=[int(job_id)])
        if job_id is not None:
            self.wake.set()
        return Started(int(job_id) if job_id is not None else None, label)

    async def run_due(self) -> int:
        """Claim one due job and run it to the end; returns 1 if one ran, else 0."""
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            job = (await session.execute(_CLAIM, {"now": now, "until": now + self._lease})).first()
        if job is None:
            return 0
        notice = await self._run(job)
        result = {"problem": notice.problem, "reports": [r.as_dict() for r in notice.reports]}
        async with unit_of_work(self._sessions) as session:
            await session.execute(_FINISH, {"id": job.id, "attempts": job.attempts, "now": self._clock(),
                                            "result": _json(result)})
        log.info("sharepoint job finished", extra={"job_id": job.id, "folders": len(notice.reports),
                                                   "problem": bool(notice.problem)})
        return 1

    async def _run(self, job: Any) -> SyncNotice:
        if job.attempts > MAX_ATTEMPTS:
            return SyncNotice(job.folder_label, problem=f"the sync was stopped after {MAX_ATTEMPTS} tries")
        actor = await current_admin(self._sessions, job.requested_by)
        if actor is None:
            return SyncNotice(job.folder_label, problem="you are no longer an administrator; nothing was synced")
        try:
            if job.folder_id is None:
                reports = await self.sync.sync_all(actor=actor, via=VIA)
            else:
                reports = [await self.sync.sync(job.folder_id, actor=actor, via=VIA)]
        except DomainError as exc:  # e.g. the folder's approval was removed meanwhile
            return SyncNotice(job.folder_label, problem=str(exc))
        return SyncNotice(job.folder_label, reports)


class SyncNoticeRelay(JobNoticeRelay[SyncNotice]):
    """A job of the alert runner: sends each finished job's result to the admin who asked (``tick``)."""

    name = "sharepoint notice"
    table = OutboxTable.of(KnowledgeSyncNotice, JobNoticeClaim)
    journal_key = "faraday:sharepoint_notices:sent:{}"
    load_notice = _LOAD_NOTICE
    audit_action, subject_type = "knowledge.sharepoint.sync.notify", "knowledge_sharepoint_job"
    via = f"sharepoint:{VIA}"

    def _notice(self, row: RowMapping) -> SyncNotice:
        result = row["result"] or {}
        return SyncNotice(row["folder_label"], [SyncReport(**r) for r in result.get("reports", [])],
                          result.get("problem"))

    def _summary(self, notice: SyncNotice) -> str:
        return _summary(notice)


def _summary(notice: SyncNotice) -> str:
    """For the audit row: counts only, never file names."""
    if notice.problem:
        return "not run"
    return "; ".join(f"{len(r.added)} added, {len(r.updated)} updated, {len(r.retired)} retired, "
                     f"{len(r.errors)} not read" + (", stopped" if r.failed else "") for r in notice.reports)[:500]


def _json(value: object) -> str:
    return json.dumps(value)
