"""SharePoint syncs an admin asks for in Teams run in the background: a long sync never holds the Teams turn (Teams
re-sends an activity after 15 s).

``knowledge sync sharepoint SITE FOLDER`` checks the admin, approves the folder through Graph (a bad site or folder is
answered at once, nothing changed) and queues a job row (``knowledge_sharepoint_jobs``), audited
``knowledge.sharepoint.sync.start``; the reply says it started. One queued or running job per folder (a unique
index): asking again while one runs queues nothing more.

Every bot replica runs ``run_jobs``; the replica that claims the row (``FOR UPDATE SKIP LOCKED``, a lease in
``claimed_until``) runs the sync as the admin (each document change and the sync itself audited by
``knowledge.sharepoint`` with the admin as actor), then stores the result and marks its notice due in the same
statement. A replica that dies mid-sync leaves the row running until the lease ends; another then takes it over
(the folder's advisory lock keeps two syncs of one folder apart; after ``MAX_ATTEMPTS`` claims the job is reported
as stopped). The admin must still be an active admin when the job runs.

``SyncNoticeRelay`` (a job of the alert runner) sends the result to the admin's 1:1 chat: the counts, and each file
that could not be read by name with the reason; audited ``knowledge.sharepoint.sync.notify``. Retries with backoff
like every relay; a row is sent once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.alerts.relay import DEFAULT_CONFIG, RelayConfig, backoff
from domain.alerts.types import Clock, DeliveryError, Sent, Target, utc_now
from domain.db import unit_of_work
from domain.errors import DomainError, NotFound
from domain.identity import actor_from_row, staff_actor_columns
from domain.models import KnowledgeSharePointFolder, Role, Staff
from domain.outbox.recipients import store_reference
from knowledge.sharepoint import SharePointSync, SyncReport, Trigger

log = logging.getLogger(__name__)

VIA = "teams"
EVERY_FOLDER = "every approved SharePoint folder"
LEASE = timedelta(minutes=30)  # longer than a sync takes; a replica that died is taken over after it
MAX_ATTEMPTS = 3
POLL_S = 5.0

_QUEUE = text(
    "INSERT INTO knowledge_sharepoint_jobs (folder_id, requested_by, folder_label) VALUES (:folder, :by, :label) "
    "ON CONFLICT ((coalesce(folder_id, 0))) WHERE status IN ('pending', 'running') DO NOTHING RETURNING id"
)
_CLAIM = text(
    """
    WITH due AS (
        SELECT id FROM knowledge_sharepoint_jobs
        WHERE status = 'pending' OR (status = 'running' AND claimed_until < :now)
        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
    )
    UPDATE knowledge_sharepoint_jobs j SET status = 'running', attempts = j.attempts + 1, claimed_until = :until
    FROM due WHERE j.id = due.id
    RETURNING j.id, j.folder_id, j.requested_by, j.folder_label, j.attempts
    """
)
_FINISH = text(
    "UPDATE knowledge_sharepoint_jobs SET status = 'done', result = CAST(:result AS jsonb), finished_at = :now, "
    "notice_status = 'pending', notice_next_at = :now WHERE id = :id AND status = 'running' AND attempts = :attempts"
)
_CLAIM_NOTICE = text(
    """
    WITH due AS (
        SELECT id FROM knowledge_sharepoint_jobs
        WHERE notice_status IN ('pending', 'sending') AND notice_next_at <= :now
        ORDER BY notice_next_at, id LIMIT :limit FOR UPDATE SKIP LOCKED
    )
    UPDATE knowledge_sharepoint_jobs j SET notice_status = 'sending', notice_attempts = j.notice_attempts + 1,
                                           notice_next_at = :lease_until
    FROM due WHERE j.id = due.id RETURNING j.id, j.notice_attempts
    """
)
_LOAD_NOTICE = text(
    """
    SELECT j.folder_label, j.result, s.id AS staff_id, s.display_name, s.tenant_id, s.aad_object_id,
           s.role::text AS role,
           (SELECT c.reference FROM conversation_references c WHERE c.staff_id = s.id
             AND c.conversation_type = 'personal' ORDER BY c.updated_at DESC LIMIT 1) AS reference,
           (SELECT c.service_url FROM conversation_references c WHERE c.tenant_id = s.tenant_id
             ORDER BY c.updated_at DESC LIMIT 1) AS service_url,
           (SELECT c.bot_id FROM conversation_references c WHERE c.tenant_id = s.tenant_id
             ORDER BY c.updated_at DESC LIMIT 1) AS bot_id
    FROM knowledge_sharepoint_jobs j JOIN staff s ON s.id = j.requested_by WHERE j.id = :id
    """
)
_FINISH_NOTICE = text(
    "UPDATE knowledge_sharepoint_jobs SET notice_status = :new, notice_error = :error, "
    "notice_next_at = COALESCE(:at, notice_next_at) WHERE id = :id AND notice_status = 'sending' "
    "AND notice_attempts = :attempts"
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
        actor = await self._admin(job.requested_by)
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

    async def _admin(self, staff_id: int) -> Actor | None:
        async with self._sessions() as session:
            row = (await session.execute(staff_actor_columns().where(Staff.id == staff_id))).first()
        actor = None if row is None else actor_from_row(tuple(row))
        return actor if actor is not None and actor.role == Role.admin else None


async def run_jobs(jobs: SharePointJobs, *, poll_s: float = POLL_S) -> None:
    """Every replica's loop (until cancelled): run due jobs; wait ``poll_s`` or until this replica queues one."""
    while True:
        try:
            ran = await jobs.run_due()
        except Exception as exc:  # the database or Graph down: the row stays claimed until its lease ends
            log.warning("sharepoint job failed", extra={"error": type(exc).__name__})
            ran = 0
        if ran:
            continue
        jobs.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(jobs.wake.wait(), poll_s)


class SyncNoticeRelay:
    """A job of the alert runner: sends each finished job's result to the admin who asked (``tick``)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], sender: SyncNoticeSender, *,
                 config: RelayConfig = DEFAULT_CONFIG, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._sender = sender
        self._config = config
        self._clock = clock
        self._rng = random.Random()  # noqa: S311 - backoff jitter, not a secret

    async def tick(self) -> int:
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            rows = (await session.execute(_CLAIM_NOTICE, {"now": now, "lease_until": now + self._config.lease,
                                                          "limit": self._config.batch})).all()
        for row in rows:
            try:
                await self._deliver(row.id, row.notice_attempts)
            except DeliveryError as exc:
                await self._failed(row.id, row.notice_attempts, exc)
            except Exception as exc:  # a bug or an unexpected library error: retry later, never lose the row
                log.exception("sharepoint notice error", extra={"job_id": row.id})
                await self._failed(row.id, row.notice_attempts, DeliveryError(type(exc).__name__, retryable=True))
        return len(rows)

    async def _deliver(self, job_id: int, attempts: int) -> None:
        async with self._sessions() as session:
            row = (await session.execute(_LOAD_NOTICE, {"id": job_id})).mappings().one()
        if not (row["tenant_id"] and row["aad_object_id"]):
            raise DeliveryError("not linked to Teams", retryable=False, code="NotLinked")
        target = Target(staff_id=row["staff_id"], display_name=row["display_name"], tenant_id=row["tenant_id"],
                        aad_object_id=row["aad_object_id"], reference=row["reference"],
                        service_url=row["service_url"], bot_id=row["bot_id"], role=row["role"])
        result = row["result"] or {}
        notice = SyncNotice(row["folder_label"], [SyncReport(**r) for r in result.get("reports", [])],
                            result.get("problem"))
        sent = await self._sender.send(target, notice)
        async with unit_of_work(self._sessions) as session:
            if sent.new_reference is not None:
                await store_reference(session, row["staff_id"], sent.new_reference)
            await session.execute(_FINISH_NOTICE, {"new": "sent", "error": None, "at": None, "id": job_id,
                                                   "attempts": attempts})
            await audit.record_unattended(session, "faraday:relay", action="knowledge.sharepoint.sync.notify",
                                          subject_type="knowledge_sharepoint_job", subject_ids=[job_id],
                                          via=f"sharepoint:{VIA}", reason=_summary(notice))

    async def _failed(self, job_id: int, attempts: int, error: DeliveryError) -> None:
        retry = error.retryable and attempts < self._config.max_attempts
        at = None
        if retry:
            at = self._clock() + timedelta(seconds=backoff(attempts, error.retry_after, self._config, self._rng))
        async with unit_of_work(self._sessions) as session:
            await session.execute(_FINISH_NOTICE, {"new": "pending" if retry else "failed", "id": job_id,
                                                   "error": f"{error.code or error.status or 'error'}: {error}"[:300],
                                                   "at": at, "attempts": attempts})


def _summary(notice: SyncNotice) -> str:
    """For the audit row: counts only, never file names."""
    if notice.problem:
        return "not run"
    return "; ".join(f"{len(r.added)} added, {len(r.updated)} updated, {len(r.retired)} retired, "
                     f"{len(r.errors)} not read" + (", stopped" if r.failed else "") for r in notice.reports)[:500]


def _json(value: object) -> str:
    return json.dumps(value)
