"""*Notify nurse*: a staff member asks their school's nurse(s) for help, from the suggested action after a protocol
answer (or ``notify nurse``). Nothing leaves Faraday until the sender presses Send on the confirmation card; the
press saves one request (unique per sender and card key, so a re-press sends nothing more) with one delivery row
per active nurse, audited (``nurse.notify``). The alert runner's ``NurseRelay`` sends each delivery to the nurse's
1:1 chat (opened if needed) on the shared outbox (``domain/outbox``): rows claimed with FOR UPDATE SKIP LOCKED so
replicas send each once, and the Redis send journal against a second send after a crash."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotFound
from domain.models import NurseDelivery
from domain.outbox import Clock, OutboxClaim, OutboxRelay, OutboxTable, Sent, Target, load_linked_target, utc_now

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
_REQUEST = text(
    "SELECT r.note, q.display_name AS requester FROM nurse_requests r JOIN staff q ON q.id = r.requester_id"
    " WHERE r.id = :id"
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


@dataclass(frozen=True, slots=True)
class NurseClaim(OutboxClaim):
    request_id: int
    nurse_id: int


class NurseRelay(OutboxRelay[NurseClaim, NurseSender]):
    """A job of the alert runner: sends pending nurse requests (``tick``) through the shared outbox."""

    name = "nurse request"
    table = OutboxTable.of(NurseDelivery, NurseClaim)
    journal_key = "faraday:nurse:sent:{}"

    async def _deliver(self, claim: NurseClaim) -> None:
        async with self._sessions() as session:
            request = (await session.execute(_REQUEST, {"id": claim.request_id})).mappings().one()
            target = await load_linked_target(session, claim.nurse_id)
        notice = NurseNotice(request["requester"], request["note"])
        sent, _ = await self._outbox.send_once(claim, lambda: self._sender.send(target, notice))
        await self._outbox.record_sent(claim, sent, claim.nurse_id)
