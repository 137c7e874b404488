"""The emergency card relay: the shared outbox (``domain/outbox``) on ``emergency_deliveries`` — rows claimed with
``FOR UPDATE SKIP LOCKED`` in short transactions and leased, outcomes fenced on (status, attempts), retries with
backoff and jitter honouring Retry-After, the Redis send journal against a second send after a crash, sends
through the same ``BotSender`` and its process-wide Teams rate limiter. Any number of replicas may run it: each card
goes out once; a sent card whose content changed (an answer, a mark, an escalation, the all clear) is updated in
place, and concurrent changes coalesce into one update rendered from the latest state.

Recipients who turned alerts off still get emergency cards (an emergency is not a notification preference).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, Unpack

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.alerts.types import Sent, Target
from domain.db import unit_of_work
from domain.emergencies.escalation import escalate_due
from domain.emergencies.types import ADMIN_KINDS, KIND_ESCALATION, KIND_REMINDER, EmergencyView, TeacherView
from domain.emergencies.views import refresh_user_ids, roll_up, teacher_view
from domain.models import EmergencyDelivery
from domain.outbox import DEFAULT_CONFIG, OutboxClaim, OutboxRelay, OutboxTable, RelayConfig, RelayOptions, load_target

log = logging.getLogger(__name__)


class CardSender(Protocol):
    async def send(self, target: Target, view: EmergencyView) -> Sent: ...

    async def update(self, target: Target, activity_id: str, view: EmergencyView) -> None: ...


@dataclass(frozen=True, slots=True)
class Claim(OutboxClaim):
    emergency_id: int
    recipient_id: int
    kind: str
    level: int
    sent_activity_id: str | None
    conversation_id: str | None


class EmergencyRelay(OutboxRelay[Claim, CardSender]):
    name = "emergency card"
    table = OutboxTable.of(EmergencyDelivery, Claim, updates=True)
    journal_key = "faraday:emergencies:sent:{}"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], sender: CardSender, *,
                 config: RelayConfig = DEFAULT_CONFIG, escalate_after: timedelta = timedelta(minutes=3),
                 **options: Unpack[RelayOptions]) -> None:
        super().__init__(sessions, sender, config=config, **options)
        self._escalate_after = escalate_after

    async def tick(self) -> int:
        """Remind/escalate what is due, then deliver one batch; returns the rows claimed."""
        await escalate_due(self._sessions, self._clock(), self._escalate_after)
        return await self.run_once()

    async def _deliver(self, claim: Claim) -> None:
        async with self._sessions() as session:
            target = await load_target(session, claim.recipient_id)
            view = await _view(session, claim, target)
        if view is None or target is None:
            await self._outbox.finish(claim, "cancelled", "emergency or recipient no longer exists")
        elif claim.status == "sending":
            await self._send(claim, view, target)
        else:
            await self._update(claim, view, target)

    async def _send(self, claim: Claim, view: EmergencyView, target: Target) -> None:
        if claim.kind in (KIND_REMINDER, KIND_ESCALATION) and view.header.closed:
            await self._outbox.finish(claim, "cancelled", "all clear before it was sent")
            return
        sent, now = await self._outbox.send_once(claim, lambda: self._sender.send(target, view))
        await self._mark_sent(claim, sent, view if now else None)  # replayed: what the card showed is unknown

    async def _mark_sent(self, claim: Claim, sent: Sent, view: EmergencyView | None) -> None:
        """Record the send. Locks the emergency FOR SHARE first: a change committing meanwhile either sees this row
        sent (and queues its update) or is seen here (the row is queued for an update now)."""
        async with unit_of_work(self._sessions) as session:
            await session.execute(text("SELECT 1 FROM emergencies WHERE id = :id FOR SHARE"),
                                  {"id": claim.emergency_id})
            state = (await session.execute(text("SELECT version, closed_at IS NOT NULL AS closed FROM emergencies"
                                                " WHERE id = :id"), {"id": claim.emergency_id})).one()
            if view is None:
                stale = True
            elif claim.kind in ADMIN_KINDS:
                stale = view.header.version != state.version
            else:
                stale = view.header.closed != state.closed
            await self._outbox.mark_sent(session, claim, sent, claim.recipient_id,
                                         status="update_pending" if stale else "sent",
                                         values={"next_attempt_at": self._clock(),
                                                 "rendered_version": view.header.version if view else None})

    async def _update(self, claim: Claim, view: EmergencyView, target: Target) -> None:
        if not (claim.sent_activity_id and claim.conversation_id):
            await self._outbox.finish(claim, "sent", "no card to update")
            return
        async with self._sessions() as session:
            reference = await session.scalar(
                text("SELECT reference FROM conversation_references WHERE conversation_id = :id"),
                {"id": claim.conversation_id})
        if reference is None:
            await self._outbox.finish(claim, "sent", "conversation no longer known")
            return
        await self._sender.update(dataclasses.replace(target, reference=reference), claim.sent_activity_id, view)
        await self._outbox.finish(claim, "sent", rendered_version=view.header.version)


async def _view(session: AsyncSession, claim: Claim, target: Target | None) -> EmergencyView | None:
    users = await refresh_user_ids(session, claim.recipient_id) if target is not None else ()
    if claim.kind in ADMIN_KINDS:
        return await roll_up(session, claim.emergency_id, escalated=claim.kind == KIND_ESCALATION, user_ids=users)
    view: TeacherView | None = await teacher_view(session, claim.emergency_id, claim.recipient_id,
                                                  reminder=claim.kind == KIND_REMINDER, user_ids=users)
    return view

