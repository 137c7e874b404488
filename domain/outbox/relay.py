"""The delivery discipline every relay shares: claim a batch with a lease, finish each claim under a concurrency
gate, send through the journal (at most once as far as it knows), record the outcome fenced on (status, attempts),
retry with backoff and jitter honouring Retry-After, and record a permanent failure after ``max_attempts``.

Nothing is held open while sending. A crash loses nothing: an expired lease makes the row due again, and the journal
tells the next claim whether the earlier attempt reached the connector (see ``journal.py``). A bug or an unexpected
library error in a relay's own step is retried like a transient failure: a row is never lost.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import unit_of_work
from domain.outbox.recipients import store_reference
from domain.outbox.table import C, OutboxTable
from domain.outbox.types import (
    DEFAULT_CONFIG,
    Clock,
    DeliveryError,
    Fault,
    Journal,
    RelayConfig,
    Sent,
    backoff,
    utc_now,
)

log = logging.getLogger(__name__)

Failed = Callable[[Any, DeliveryError], Awaitable[None]]


class Outbox(Generic[C]):
    """One relay's outbox. ``name`` appears in its log lines; ``on_failed`` records a permanent failure (default:
    status ``failed``); ``fault``: a crash-test hook called at ``after_claim``, ``after_connector``, ``after_send``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], table: OutboxTable[C], *, name: str,
                 config: RelayConfig = DEFAULT_CONFIG, clock: Clock = utc_now, journal: Journal | None = None,
                 fault: Fault | None = None, rng: random.Random | None = None, on_failed: Failed | None = None) -> None:
        self.sessions = sessions
        self.table = table
        self.name = name
        self.config = config
        self.clock = clock
        self._journal = journal
        self._fault = fault or (lambda point: None)
        self._rng = rng or random.Random()  # noqa: S311 - backoff jitter, not a secret
        self._on_failed = on_failed
        self._gate = asyncio.Semaphore(config.concurrency)
        self.claimed = 0  # rows claimed so far (a row retried counts again)

    async def claim(self) -> list[C]:
        now = self.clock()
        async with unit_of_work(self.sessions) as session:
            claims = await self.table.claim(session, now, now + self.config.lease, self.config.batch)
        if claims:
            self.claimed += len(claims)
            self._fault("after_claim")
        return claims

    async def run(self, handle: Callable[[C], Awaitable[None]]) -> int:
        """Claim one batch and ``handle`` each claim; returns how many rows were claimed."""
        claims = await self.claim()
        await self.each(claims, handle)
        return len(claims)

    async def each(self, claims: Sequence[C], handle: Callable[[C], Awaitable[None]]) -> None:
        await asyncio.gather(*(self._guarded(c, handle) for c in claims))

    async def _guarded(self, claim: C, handle: Callable[[C], Awaitable[None]]) -> None:
        async with self._gate:
            try:
                await handle(claim)
            except DeliveryError as exc:
                await self.failed(claim, exc)
            except Exception as exc:  # a bug or an unexpected library error: retry later, never lose the row
                log.exception("%s delivery error", self.name, extra={"delivery_id": claim.id})
                await self.failed(claim, DeliveryError(type(exc).__name__, retryable=True))

    async def send_once(self, claim: C, send: Callable[[], Awaitable[Sent]]) -> tuple[Sent, bool]:
        """Send unless the journal says an earlier attempt at this row reached the connector. Returns what went out
        and whether this call sent it (False: replayed from the journal, nothing sent now)."""
        recorded = await self.journaled(claim)
        if recorded is not None:
            return recorded, False
        return await self.send_and_journal(claim, send), True

    async def journaled(self, claim: C) -> Sent | None:
        """What an earlier attempt at this row sent, if the journal knows (only a row claimed before can have one)."""
        if claim.attempts <= 1 or self._journal is None:
            return None
        recorded = await self._journal.lookup(claim.id)
        if recorded is None:
            return None
        log.info("%s already sent (journal)", self.name, extra={"delivery_id": claim.id})
        return Sent(recorded[0], recorded[1])

    async def send_and_journal(self, claim: C, send: Callable[[], Awaitable[Sent]]) -> Sent:
        """Send, then write the journal entry at once (before the caller records the send in the database)."""
        sent = await send()
        self._fault("after_connector")
        if self._journal is not None:
            await self._journal.record(claim.id, sent.activity_id, sent.conversation_id)
        self._fault("after_send")
        return sent

    async def mark_sent(self, session: AsyncSession, claim: C, sent: Sent, recipient_id: int, *,
                        status: str = "sent", values: Mapping[str, Any] | None = None) -> bool:
        """Record the send in the caller's transaction (and the 1:1 conversation the sender opened, if any)."""
        if sent.new_reference is not None:
            await store_reference(session, recipient_id, sent.new_reference)
        fields: dict[str, Any] = {"status": status, "sent_activity_id": sent.activity_id[:200], "last_error": None}
        if self.table.has("conversation_id"):
            fields["conversation_id"] = sent.conversation_id[:400]
        recorded = await self.table.mark(session, claim, fields | dict(values or {}))
        if not recorded:
            log.warning("%s sent after its lease expired", self.name, extra={"delivery_id": claim.id})
        return recorded

    async def record_sent(self, claim: C, sent: Sent, recipient_id: int, **values: Any) -> bool:
        async with unit_of_work(self.sessions) as session:
            return await self.mark_sent(session, claim, sent, recipient_id, values=values)

    async def finish(self, claim: C, status: str, error: str | None = None, *, at: datetime | None = None,
                     **values: Any) -> bool:
        async with unit_of_work(self.sessions) as session:
            return await self.mark(session, claim, status, error, at=at, **values)

    async def mark(self, session: AsyncSession, claim: C, status: str, error: str | None = None, *,
                   at: datetime | None = None, **values: Any) -> bool:
        fields = {"status": status, "last_error": error[:300] if error else None, **values}
        if at is not None:
            fields["next_attempt_at"] = at
        return await self.table.mark(session, claim, fields)

    async def failed(self, claim: C, error: DeliveryError) -> None:
        """Retry later (a retryable error within ``max_attempts``), else give up: an update leaves the card as it
        was (``sent``, with the error), a send is a permanent failure."""
        message = f"{error.code or error.status or 'error'}: {error}"
        if error.retryable and claim.attempts < self.config.max_attempts:
            delay = backoff(claim.attempts, error.retry_after, self.config, self._rng)
            await self.finish(claim, "pending" if claim.status == "sending" else "update_pending", message,
                              at=self.clock() + timedelta(seconds=delay))
            log.info("%s retry", self.name, extra={"delivery_id": claim.id, "delay_s": round(delay, 2),
                                                   "status": error.status})
        elif claim.status == "updating":
            await self.finish(claim, "sent", message)
        else:
            if self._on_failed is not None:
                await self._on_failed(claim, error)
            else:
                await self.finish(claim, "failed", str(error))
            log.warning("%s failed", self.name, extra={"delivery_id": claim.id, "status": error.status,
                                                       "code": error.code})
