"""*Notify nurse*: a staff member asks their school's nurse(s) for help, from the suggested action after a protocol
answer (or ``notify nurse``). Nothing leaves Faraday until the sender presses Send on the confirmation card; the
press saves one request (unique per sender and card key, so a re-press sends nothing more) with one delivery row
per active nurse, audited (``nurse.notify``). The alert runner's ``NurseRelay`` sends each delivery to the nurse's
1:1 chat (opened if needed), claiming rows with FOR UPDATE SKIP LOCKED so replicas send each once."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.alerts.relay import DEFAULT_CONFIG, RelayConfig, backoff
from domain.alerts.types import Clock, DeliveryError, Sent, Target, utc_now
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotFound
from domain.outbox import store_reference

log = logging.getLogger(__name__)

NOTE_MIN, NOTE_MAX = 3, 300
KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

_NURSES = text("SELECT id FROM staff WHERE school_id = :school AND role = 'nurse' AND active ORDER BY id")
_INSERT = text(
    "INSERT INTO nurse_requests (school_id, requester_id, idempotency_key, note) VALUES (:school, :by, :key, :note)"
    " ON CONFLICT (requester_id, idempotency_key) DO NOTHING RETURNING id"
)
_DELIVER = text("INSERT INTO nurse_deliveries (request_id, nurse_id, status, attempts, next_attempt_at)"
                " VALUES (:request, :nurse, 'pending', 0, :now)")
_CLAIM = text(
    """
    WITH due AS (
        SELECT id FROM nurse_deliveries WHERE status IN ('pending', 'sending') AND next_attempt_at <= :now
        ORDER BY next_attempt_at, id LIMIT :limit FOR UPDATE SKIP LOCKED
    )
    UPDATE nurse_deliveries d SET status = 'sending', attempts = d.attempts + 1, next_attempt_at = :lease_until
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.request_id, d.nurse_id, d.attempts
    """
)
_LOAD = text(
    """
    SELECT r.note, r.created_at, q.display_name AS requester, s.id AS staff_id, s.display_name, s.tenant_id,
           s.aad_object_id, s.role::text AS role,
           (SELECT c.reference FROM conversation_references c WHERE c.staff_id = s.id
             AND c.conversation_type = 'personal' ORDER BY c.updated_at DESC LIMIT 1) AS reference,
           (SELECT c.service_url FROM conversation_references c WHERE c.tenant_id = s.tenant_id
             ORDER BY c.updated_at DESC LIMIT 1) AS service_url,
           (SELECT c.bot_id FROM conversation_references c WHERE c.tenant_id = s.tenant_id
             ORDER BY c.updated_at DESC LIMIT 1) AS bot_id
    FROM nurse_deliveries d JOIN nurse_requests r ON r.id = d.request_id JOIN staff q ON q.id = r.requester_id
    JOIN staff s ON s.id = d.nurse_id WHERE d.id = :id
    """
)
_FINISH = text(
    "UPDATE nurse_deliveries SET status = :new, last_error = :error, next_attempt_at = COALESCE(:at, next_attempt_at),"
    " sent_activity_id = COALESCE(:activity_id, sent_activity_id) WHERE id = :id AND status = 'sending'"
    " AND attempts = :attempts"
)


@dataclass(frozen=True, slots=True)
class NurseNotice:
    """What a nurse's card shows."""

    requester: str
    note: str


class NurseSender(Protocol):
    async def send(self, target: Target, notice: NurseNotice) -> Sent: ...


@dataclass(frozen=True, slots=True)
class Requested:
    created: bool  # False: this card's request was already sent (a re-press)
    nurses: int


def validate_note(raw: object) -> str:
    note = " ".join(str(raw or "").split())
    if not NOTE_MIN <= len(note) <= NOTE_MAX:
        raise InvalidInput(f"Tell the nurse where you are and what happened ({NOTE_MIN}–{NOTE_MAX} characters); "
                           "nothing was sent.", {"note": "required"})
    return note


class NurseRequests:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    async def nurses(self, actor: Actor) -> int:
        async with self._sessions() as session:
            return len((await session.execute(_NURSES, {"school": actor.school_id})).all())

    async def request(self, actor: Actor, raw_note: object, key: str, *, via: str) -> Requested:
        """Save the confirmed request and its deliveries (one transaction); a re-press with the same key adds none."""
        if not KEY.match(key or ""):
            raise InvalidInput("This card has expired; type **notify nurse** for a new one.")
        note = validate_note(raw_note)
        async with unit_of_work(self._sessions) as session:
            nurses = [r.id for r in (await session.execute(_NURSES, {"school": actor.school_id})).all()]
            if not nurses:
                raise NotFound("No nurse at your school is on Faraday yet; call the office. Nothing was sent.")
            request_id = await session.scalar(_INSERT, {"school": actor.school_id, "by": actor.staff_id, "key": key,
                                                        "note": note})
            if request_id is None:
                return Requested(False, len(nurses))
            await session.execute(_DELIVER, [{"request": request_id, "nurse": n, "now": self._clock()}
                                             for n in nurses])
            await audit.record(session, actor, action="nurse.notify", subject_type="staff", subject_ids=nurses,
                               via=via, allowed=True, reason=f"request {request_id}")
        return Requested(True, len(nurses))


class NurseRelay:
    """A job of the alert runner: sends pending nurse requests (``tick``)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], sender: NurseSender, *,
                 config: RelayConfig = DEFAULT_CONFIG, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._sender = sender
        self._config = config
        self._clock = clock
        self._rng = random.Random()  # noqa: S311 - backoff jitter, not a secret
        self._gate = asyncio.Semaphore(config.concurrency)

    async def tick(self) -> int:
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            rows = (await session.execute(_CLAIM, {"now": now, "lease_until": now + self._config.lease,
                                                   "limit": self._config.batch})).all()
        await asyncio.gather(*(self._guarded(r.id, r.attempts) for r in rows))
        return len(rows)

    async def _guarded(self, delivery_id: int, attempts: int) -> None:
        async with self._gate:
            try:
                await self._deliver(delivery_id, attempts)
            except DeliveryError as exc:
                await self._failed(delivery_id, attempts, exc)
            except Exception as exc:  # a bug or an unexpected library error: retry later, never lose the row
                log.exception("nurse request delivery error", extra={"delivery_id": delivery_id})
                await self._failed(delivery_id, attempts, DeliveryError(type(exc).__name__, retryable=True))

    async def _deliver(self, delivery_id: int, attempts: int) -> None:
        async with self._sessions() as session:
            row = (await session.execute(_LOAD, {"id": delivery_id})).mappings().one()
        if not (row["tenant_id"] and row["aad_object_id"]):
            raise DeliveryError("not linked to Teams yet (has never messaged Faraday)", retryable=False,
                                code="NotLinked")
        target = Target(staff_id=row["staff_id"], display_name=row["display_name"], tenant_id=row["tenant_id"],
                        aad_object_id=row["aad_object_id"], reference=row["reference"],
                        service_url=row["service_url"], bot_id=row["bot_id"], role=row["role"])
        sent = await self._sender.send(target, NurseNotice(row["requester"], row["note"]))
        async with unit_of_work(self._sessions) as session:
            if sent.new_reference is not None:
                await store_reference(session, row["staff_id"], sent.new_reference)
            await session.execute(_FINISH, {"new": "sent", "error": None, "at": None, "id": delivery_id,
                                            "attempts": attempts, "activity_id": sent.activity_id[:200]})

    async def _failed(self, delivery_id: int, attempts: int, error: DeliveryError) -> None:
        retry = error.retryable and attempts < self._config.max_attempts
        at = None
        if retry:
            at = self._clock() + timedelta(seconds=backoff(attempts, error.retry_after, self._config, self._rng))
        async with unit_of_work(self._sessions) as session:
            await session.execute(_FINISH, {"new": "pending" if retry else "failed", "id": delivery_id,
                                            "error": f"{error.code or error.status or 'error'}: {error}"[:300],
                                            "at": at, "attempts": attempts, "activity_id": None})
