"""The relay: claims due deliveries, sends (or updates) cards through a ``Sender``, records each outcome.

Any number of relays (bot replicas) may run: claims use ``FOR UPDATE SKIP LOCKED`` in short transactions and mark
rows ``sending`` with a lease; nothing is held open while sending. A crash loses nothing: an expired lease makes the
row due again.

**The one at-least-once window.** If a process dies after the connector accepted a card but before the row is
marked sent, nobody can know from the database whether the card arrived. To shrink the window the sender writes a
journal entry (Redis) right after the connector answers; a relay that resumes an unfinished row first checks the
journal and, when the card went out, only records it. Only a crash between the connector's answer and the journal
write (or with Redis down) re-sends — and the repeat is harmless: both cards carry the same alert id, acknowledging
either acknowledges the one alert, and universal-actions refresh shows every copy its current state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.alerts.store import CardState, Claim, DeliveryStore
from domain.alerts.types import (
    KIND_ALERT,
    AlertView,
    Clock,
    DeliveryError,
    Journal,
    Sender,
    Sent,
    Target,
    utc_now,
)
from domain.alerts.views import alert_views, reference_for, targets

log = logging.getLogger(__name__)

Fault = Callable[[str], None]  # fault injection for crash tests: called with "after_claim", "after_send", ...


@dataclass(frozen=True, slots=True)
class RelayConfig:
    batch: int = 50
    concurrency: int = 16
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 300.0


def backoff(attempts: int, retry_after: float | None, config: RelayConfig, rng: random.Random) -> float:
    """Exponential backoff with jitter (50–100 % of the step), never sooner than the server's Retry-After."""
    step = min(config.backoff_cap_s, config.backoff_base_s * 2.0 ** max(0, attempts - 1))
    return max(retry_after or 0.0, step * rng.uniform(0.5, 1.0))


DEFAULT_CONFIG = RelayConfig()


class Relay:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], sender: Sender, *,
                 config: RelayConfig = DEFAULT_CONFIG, clock: Clock = utc_now, journal: Journal | None = None,
                 fault: Fault | None = None, rng: random.Random | None = None) -> None:
        self._sessions = sessions
        self._store = DeliveryStore(sessions)
        self._sender = sender
        self._config = config
        self._clock = clock
        self._journal = journal
        self._fault = fault or (lambda point: None)
        self._rng = rng or random.Random()  # noqa: S311 - backoff jitter, not a secret
        self._gate = asyncio.Semaphore(config.concurrency)
        self.claimed = 0  # rows claimed so far (a row retried counts again)

    async def run_once(self) -> int:
        """Claim one batch of due rows and finish each; returns how many rows were claimed."""
        now = self._clock()
        claims = await self._store.claim(now, now + self._config.lease, self._config.batch)
        if not claims:
            return 0
        self.claimed += len(claims)
        self._fault("after_claim")
        async with self._sessions() as session:
            views = await alert_views(session, {c.alert_id for c in claims})
            people = await targets(session, {c.recipient_id for c in claims})
        await asyncio.gather(*(self._guarded(c, views.get(c.alert_id), people.get(c.recipient_id)) for c in claims))
        return len(claims)

    async def _guarded(self, claim: Claim, view: AlertView | None, person: tuple[Target, bool] | None) -> None:
        async with self._gate:
            try:
                if view is None or person is None:
                    await self._store.mark_cancelled(claim, "alert or recipient no longer exists")
                elif claim.status == "sending":
                    await self._send(claim, dataclasses.replace(view, kind=claim.kind, level=claim.level), *person)
                else:
                    await self._update(claim, view, person[0])
            except DeliveryError as exc:
                await self._failed(claim, exc)
            except Exception as exc:  # a bug or an unexpected library error: retry later, never lose the row
                log.exception("alert delivery error", extra={"delivery_id": claim.id})
                await self._failed(claim, DeliveryError(type(exc).__name__, retryable=True))

    async def _send(self, claim: Claim, view: AlertView, target: Target, muted: bool) -> None:
        if claim.kind != KIND_ALERT and view.acknowledged:
            await self._store.mark_cancelled(claim, "acknowledged before it was sent")
            return
        if muted:
            await self._store.mark_cancelled(claim, "alerts turned off by the recipient")
            return
        if claim.resumed and self._journal is not None:
            recorded = await self._journal.lookup(claim.id)
            if recorded is not None:  # the earlier attempt reached the connector: record it, don't send twice
                await self._mark_sent(claim, recorded[0], recorded[1], None, rendered=None)
                return
        sent = await self._sender.send(target, view)
        self._fault("after_connector")
        if self._journal is not None:
            await self._journal.record(claim.id, sent.activity_id, sent.conversation_id)
        self._fault("after_send")
        await self._mark_sent(claim, sent.activity_id, sent.conversation_id, sent.new_reference,
                              rendered=CardState(view.acknowledged, len(view.failures)))

    async def _mark_sent(self, claim: Claim, activity_id: str, conversation_id: str, reference: dict | None,  # type: ignore[type-arg]
                         *, rendered: CardState | None) -> None:
        recorded = await self._store.mark_sent(claim, Sent(activity_id, conversation_id, reference),
                                               rendered=rendered, now=self._clock())
        if not recorded:
            log.warning("alert sent after its lease expired", extra={"delivery_id": claim.id})

    async def _update(self, claim: Claim, view: AlertView, target: Target) -> None:
        if not (claim.sent_activity_id and claim.conversation_id):
            await self._store.mark_updated(claim, error="no card to update")
            return
        async with self._sessions() as session:
            reference = await reference_for(session, claim.conversation_id)
        if reference is None:
            await self._store.mark_updated(claim, error="conversation no longer known")
            return
        card_view = dataclasses.replace(view, kind=claim.kind, level=claim.level)
        await self._sender.update(dataclasses.replace(target, reference=reference), claim.sent_activity_id, card_view)
        await self._store.mark_updated(claim)

    async def _failed(self, claim: Claim, error: DeliveryError) -> None:
        message = f"{error.code or error.status or 'error'}: {error}"
        if error.retryable and claim.attempts < self._config.max_attempts:
            delay = backoff(claim.attempts, error.retry_after, self._config, self._rng)
            await self._store.mark_retry(claim, self._clock() + timedelta(seconds=delay), message)
            log.info("alert delivery retry", extra={"delivery_id": claim.id, "delay_s": round(delay, 2),
                                                    "status": error.status})
        elif claim.status == "updating":
            await self._store.mark_updated(claim, error=message)
        else:
            await self._store.mark_failed(claim, str(error)[:300], self._clock())
            log.warning("alert delivery failed", extra={"delivery_id": claim.id, "status": error.status,
                                                        "code": error.code})
