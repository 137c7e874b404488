"""Installing Faraday for unreachable staff runs in the background (#24.3): Graph is never asked inside the admin's
Teams turn, which Teams re-sends after 15 s.

*Install* on the confirmation card (``start``) checks the admin (a teacher is refused and audited), takes who is
unreachable now and queues one job row (``teams_install_jobs``) keyed on the card, audited
``staff.teams_install.request``; the answer is at once. Pressing the same card again queues nothing more: it is told
the job is under way, or, when done, what it did (Graph is not asked again).

Every bot replica runs ``domain.background.run_jobs``; the replica that claims the row (``FOR UPDATE SKIP LOCKED``, a
lease in ``claimed_until``, renewed while it works) installs person by person through ``TeamsInstaller`` (Graph
calls under a concurrency gate; a person Graph has not listed yet asked again with backoff). Each person's outcome
and new 1:1 chat are written with their audit row in one transaction fenced on the claim, so a replica that lost the
job writes nothing, and a replica that takes over a dead one's job (after the lease) skips the people already done.
The admin must still be an admin when the job runs; after ``MAX_ATTEMPTS`` claims the job is reported as stopped,
naming who was done and who was not tried. The result and its notice (``teams_install_notices``) are written in one
statement; ``InstallNoticeRelay`` (a job of the alert runner) sends it to the admin's 1:1 chat on the shared outbox
with the send journal, audited ``staff.teams_install.notify``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.background import current_admin, job_statements
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.models import Role, TeamsInstallNotice
from domain.outbox import Clock, JobNoticeClaim, JobNoticeRelay, OutboxTable, Sent, Target, utc_now
from domain.reach import Unreachable
from domain.teams_install import (
    ACTION,
    CONCURRENCY,
    KEY,
    ONLY_ADMINS,
    REQUEST,
    InstallReport,
    InstallResult,
    TeamsInstaller,
    public,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # renewed every third of it while the job runs; a dead replica's job is taken over after
MAX_ATTEMPTS = 3
NOTIFY = "staff.teams_install.notify"
NOBODY = ("Nobody to install for: everyone is reachable, or Faraday knows no Teams account or e-mail for who is "
          "not.")

_FIND = text("SELECT id, status, people, result FROM teams_install_jobs WHERE card_key = :key")
_QUEUE = text("INSERT INTO teams_install_jobs (card_key, requested_by, people) VALUES (:key, :by, CAST(:people AS "
              "jsonb)) ON CONFLICT (card_key) DO NOTHING RETURNING id")
_CLAIM, _FINISH = job_statements("teams_install_jobs", "teams_install_notices", "j.card_key, j.requested_by, j.people")
# Still this claim's job (status, attempts): extend its lease. Nothing returned: another replica has taken it over.
_RENEW = text("UPDATE teams_install_jobs SET claimed_until = :until WHERE id = :id AND status = 'running'"
              " AND attempts = :attempts RETURNING id")
_LOAD_NOTICE = text("SELECT j.id, j.result FROM teams_install_notices n JOIN teams_install_jobs j ON j.id = n.job_id"
                    " WHERE n.id = :id")

State = Literal["queued", "under way", "done"]


@dataclass(frozen=True, slots=True)
class Queued:
    """What the press answers: a new job, one already under way for this card, or (done) what it did."""

    job_id: int
    people: int  # how many people it installs for (those with a Teams account or e-mail on record)
    state: State
    report: InstallReport | None = None


class InstallNoticeSender(Protocol):
    async def send(self, target: Target, report: InstallReport) -> Sent: ...


class LostJob(Exception):
    """Another replica took this job over (this one's lease ran out): stop, write nothing more."""


class TeamsInstallJobs:
    """The card's side (``start``) and the background side (``run_due``) of installing Faraday for staff."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], installer: TeamsInstaller, *,
                 lease: timedelta = LEASE, clock: Clock = utc_now, concurrency: int = CONCURRENCY) -> None:
        self._sessions = sessions
        self.installer = installer
        self._lease = lease
        self._clock = clock
        self._concurrency = concurrency
        self.wake = asyncio.Event()  # set when a job is queued here: this replica's loop starts it at once

    async def candidates(self, actor: Actor, *, via: str) -> list[Unreachable]:
        return await self.installer.candidates(actor, via=via)

    async def start(self, actor: Actor, key: str, *, via: str) -> Queued:
        """Check the admin and queue the install for who is unreachable now; never asks Graph.

        Raises ``NotAllowed`` (audited) for anyone but an admin, ``InvalidInput`` for a malformed card key,
        ``NotFound`` when nobody can be installed for."""
        tag = f"{via}:{key}"[:60]
        if actor.role != Role.admin:
            await audit.record_refusal(self._sessions, actor, action=ACTION, subject_type="school",
                                       subject_ids=[actor.school_id], via=tag, reason="not an administrator")
            raise NotAllowed(ONLY_ADMINS)
        if not KEY.match(key or ""):
            raise InvalidInput("That install button is not valid any more; ask for `reachability` again.")
        existing = await self._find(tag)
        if existing is not None:
            return existing
        people = await self.installer.candidates(actor, via=tag)
        if not any(p.address for p in people):
            raise NotFound(NOBODY)
        rows = [{"staff_id": p.staff_id, "name": p.name, "role": p.role, "address": p.address,
                 "tenant_id": p.tenant_id} for p in people]
        async with unit_of_work(self._sessions) as session:
            job_id = await session.scalar(_QUEUE, {"key": tag, "by": actor.staff_id, "people": json.dumps(rows)})
            if job_id is not None:
                await audit.record(session, actor, action=REQUEST, subject_type="school",
                                   subject_ids=[actor.school_id], via=tag, allowed=True,
                                   reason=f"{_count(rows)} people queued")
        if job_id is None:  # the same card pressed twice at once: the other press queued it
            again = await self._find(tag)
            assert again is not None
            return again
        self.wake.set()
        return Queued(int(job_id), _count(rows), "queued")

    async def _find(self, tag: str) -> Queued | None:
        async with self._sessions() as session:
            row = (await session.execute(_FIND, {"key": tag})).first()
        if row is None:
            return None
        if row.status != "done":
            return Queued(int(row.id), _count(row.people), "under way")
        return Queued(int(row.id), _count(row.people), "done", replace_repeated(report_of(row.result)))

    async def run_due(self) -> int:
        """Claim one due job and run it to the end; returns 1 if one was claimed, else 0."""
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            job = (await session.execute(_CLAIM, {"now": now, "until": now + self._lease})).first()
        if job is None:
            return 0
        try:
            report = await self._run(job)
        except LostJob:
            log.info("teams install job taken over by another replica", extra={"job_id": job.id})
            return 1
        result = {"problem": report.problem, "results": [asdict(r) for r in report.results]}
        async with unit_of_work(self._sessions) as session:
            await session.execute(_FINISH, {"id": job.id, "attempts": job.attempts, "now": self._clock(),
                                            "result": json.dumps(result)})
        log.info("teams install job finished", extra={"job_id": job.id, "people": len(report.results),
                                                      "reached": len(report.reached)})
        return 1

    async def _run(self, job: Any) -> InstallReport:
        people = [_person(p) for p in job.people]
        done = {r.staff_id: r for r in await self.installer.recorded(job.card_key)}  # earlier claims' work
        todo = [p for p in people if p.staff_id not in done]
        problem = None
        if job.attempts > MAX_ATTEMPTS:
            problem = f"the install was stopped after {MAX_ATTEMPTS} tries"
        else:
            actor = await current_admin(self._sessions, job.requested_by)
            if actor is None:
                problem = "you are no longer an administrator; nothing more was installed"
            elif todo:
                done |= {r.staff_id: r for r in await self._install(job, actor, todo)}
        results = [public(done[p.staff_id]) if p.staff_id in done
                   else InstallResult(p.staff_id, p.name, "skipped", "not tried") for p in people]
        return InstallReport(tuple(sorted(results, key=lambda r: (r.name, r.staff_id))), problem=problem)

    async def _install(self, job: Any, actor: Actor, people: list[Unreachable]) -> list[InstallResult]:
        route = await self.installer.route(actor.tenant_id)
        gate = asyncio.Semaphore(self._concurrency)

        async def one(person: Unreachable) -> InstallResult:
            try:
                result = await self.installer.install_one(person, route, gate)
            except Exception as exc:  # an unexpected error for one person never stops the others
                log.exception("teams install failed for one person", extra={"job_id": job.id})
                result = InstallResult(person.staff_id, person.name, "failed",
                                       f"an unexpected error ({type(exc).__name__}); try again later")
            async with unit_of_work(self._sessions) as session:  # the person's outcome only while the job is ours
                if not await self._renew(session, job):
                    raise LostJob
                await self.installer.record(session, actor, person, result, route, tag=job.card_key)
            return result

        heartbeat = asyncio.create_task(self._heartbeat(job))
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(p)) for p in people]
        except* LostJob:
            raise LostJob from None
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return [t.result() for t in tasks]

    async def _heartbeat(self, job: Any) -> None:
        """Keep the lease while the job runs (a person may wait up to two minutes for Graph to list their install)."""
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                async with unit_of_work(self._sessions) as session:
                    if not await self._renew(session, job):
                        return  # taken over: the next person's write finds out and stops the job
            except Exception as exc:  # the database briefly down: try again at the next beat
                log.warning("teams install lease not renewed", extra={"error": type(exc).__name__})

    async def _renew(self, session: AsyncSession, job: Any) -> bool:
        renewed = await session.scalar(_RENEW, {"id": job.id, "attempts": job.attempts,
                                                "until": self._clock() + self._lease})
        return renewed is not None


def _person(row: dict[str, Any]) -> Unreachable:
    return Unreachable(str(row["name"]), str(row.get("role") or ""), "", int(row["staff_id"]), row.get("address"),
                       row.get("tenant_id"))


def _count(people: list[dict[str, Any]]) -> int:
    return sum(1 for p in people if p.get("address"))


def report_of(result: dict[str, Any] | None) -> InstallReport:
    result = result or {}
    return InstallReport(tuple(InstallResult(**r) for r in result.get("results", [])), problem=result.get("problem"))


def replace_repeated(report: InstallReport) -> InstallReport:
    return InstallReport(report.results, repeated=True, problem=report.problem)


class InstallNoticeRelay(JobNoticeRelay[InstallReport]):
    """A job of the alert runner: sends each finished install job's result to the admin who asked (``tick``)."""

    name = "teams install notice"
    table = OutboxTable.of(TeamsInstallNotice, JobNoticeClaim)
    journal_key = "faraday:teams_install_notices:sent:{}"
    load_notice = _LOAD_NOTICE
    audit_action, subject_type, via = NOTIFY, "teams_install_job", "teams_install:teams"

    def _notice(self, row: RowMapping) -> InstallReport:
        return report_of(row["result"])

    def _summary(self, notice: InstallReport) -> str:
        return f"{len(notice.reached)} of {len(notice.results)} reachable"
