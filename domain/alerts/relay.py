"""The relay: claims due deliveries, sends (or updates) cards through a ``Sender``, records each outcome — the
shared outbox discipline (``domain/outbox``) on ``alert_deliveries``.

Any number of relays (bot replicas) may run: claims use ``FOR UPDATE SKIP LOCKED`` in short transactions and mark
rows ``sending`` with a lease; nothing is held open while sending. A crash loses nothing: an expired lease makes the
row due again.

**The one at-least-once window.** If a process dies after the connector accepted a card but before the row is
marked sent, nobody can know from the database whether the card arrived. To shrink the window the outbox writes a
journal entry (Redis) right after the connector answers; a relay that resumes an unfinished row first checks the
journal and, when the card went out, only records it. Only a crash between the connector's answer and the journal
write (or with Redis down) re-sends — and the repeat is harmless: both cards carry the same alert id, acknowledging
either acknowledges the one alert, and universal-actions refresh shows every copy its current state.
"""

from __future__ import annotations

import dataclasses
import logging
import random

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.alerts.store import TABLE, CardState, Claim, DeliveryStore
from domain.alerts.types import KIND_ALERT, AlertView, Clock, DeliveryError, Journal, Sender, Target, utc_now
from domain.alerts.views import alert_views, reference_for, targets
from domain.outbox import Outbox
from domain.outbox.types import DEFAULT_CONFIG as DEFAULT_CONFIG  # re-exported: where the relays took them from
from domain.outbox.types import Fault as Fault
from domain.outbox.types import RelayConfig as RelayConfig
from domain.outbox.types import backoff as backoff

log = logging.getLogger(__name__)

JOURNAL_KEY = "faraday:alerts:sent:{}"


class Relay:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], sender: Sender, *,
                 config: RelayConfig = DEFAULT_CONFIG, clock: Clock = utc_now, journal: Journal | None = None,
                 fault: Fault | None = None, rng: random.Random | None = None) -> None:
        self._sessions = sessions
        self._store = DeliveryStore(sessions)
        self._sender = sender
        self._clock = clock
        self._outbox = Outbox(sessions, TABLE, name="alert delivery", config=config, clock=clock, journal=journal,
                              fault=fault, rng=rng, on_failed=self._failed)

    @property
    def claimed(self) -> int:
        """Rows claimed so far (a row retried counts again)."""
        return self._outbox.claimed

    async def run_once(self) -> int:
        """Claim one batch of due rows and finish each; returns how many rows were claimed."""
        claims = await self._outbox.claim()
        if not claims:
            return 0
        async with self._sessions() as session:
            views = await alert_views(session, {c.alert_id for c in claims})
            people = await targets(session, {c.recipient_id for c in claims})

        async def finish(claim: Claim) -> None:
            await self._deliver(claim, views.get(claim.alert_id), people.get(claim.recipient_id))

        await self._outbox.each(claims, finish)
        return len(claims)

    async def _deliver(self, claim: Claim, view: AlertView | None, person: tuple[Target, bool] | None) -> None:
        if view is None or person is None:
            await self._outbox.finish(claim, "cancelled", "alert or recipient no longer exists")
        elif claim.status == "sending":
            await self._send(claim, dataclasses.replace(view, kind=claim.kind, level=claim.level), *person)
        else:
            await self._update(claim, view, person[0])

    async def _send(self, claim: Claim, view: AlertView, target: Target, muted: bool) -> None:
        if claim.kind != KIND_ALERT and view.acknowledged:
            await self._outbox.finish(claim, "cancelled", "acknowledged before it was sent")
            return
        if muted:
            await self._outbox.finish(claim, "cancelled", "alerts turned off by the recipient")
            return
        sent, now = await self._outbox.send_once(claim, lambda: self._sender.send(target, view))
        # replayed from the journal: what that card showed is unknown, so it is updated to be safe
        rendered = CardState(view.acknowledged, len(view.failures)) if now else None
        if not await self._store.mark_sent(claim, sent, rendered=rendered, now=self._clock()):
            log.warning("alert sent after its lease expired", extra={"delivery_id": claim.id})

    async def _update(self, claim: Claim, view: AlertView, target: Target) -> None:
        if not (claim.sent_activity_id and claim.conversation_id):
            await self._outbox.finish(claim, "sent", "no card to update")
            return
        async with self._sessions() as session:
            reference = await reference_for(session, claim.conversation_id)
        if reference is None:
            await self._outbox.finish(claim, "sent", "conversation no longer known")
            return
        card_view = dataclasses.replace(view, kind=claim.kind, level=claim.level)
        await self._sender.update(dataclasses.replace(target, reference=reference), claim.sent_activity_id, card_view)
        await self._outbox.finish(claim, "sent")

    async def _failed(self, claim: Claim, error: DeliveryError) -> None:
        await self._store.mark_failed(claim, str(error)[:300], self._clock())

