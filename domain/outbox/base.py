"""``OutboxRelay``, the base of the relays that deliver one claim at a time (emergency cards, equipment notices,
pre-class briefs, nurse requests, SharePoint sync notices): a subclass names its outbox (``name`` in log lines,
``table``, ``journal_key`` for the send journal) and delivers one claim (``_deliver``); the base builds the
``Outbox`` from the sessions, the sender and the runner's options, and ``tick`` claims and delivers one batch."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypedDict, TypeVar, Unpack

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.outbox.relay import Outbox
from domain.outbox.table import C, OutboxTable
from domain.outbox.types import DEFAULT_CONFIG, Clock, Fault, Journal, RelayConfig, utc_now

S = TypeVar("S")


class RelayOptions(TypedDict, total=False):
    """What the alert runner and tests pass to every relay besides its config."""

    clock: Clock
    journal: Journal | None
    fault: Fault | None
    rng: random.Random | None


class OutboxRelay(ABC, Generic[C, S]):
    name: ClassVar[str]
    table: ClassVar[OutboxTable[Any]]
    journal_key: ClassVar[str]  # the send journal's Redis key, one ``{}`` for the row id

    def __init__(self, sessions: async_sessionmaker[AsyncSession], sender: S, *, config: RelayConfig = DEFAULT_CONFIG,
                 **options: Unpack[RelayOptions]) -> None:
        self._sessions = sessions
        self._sender = sender
        self._clock = options.get("clock", utc_now)
        self._outbox: Outbox[C] = Outbox(sessions, self.table, name=self.name, config=config, **options)

    @property
    def claimed(self) -> int:
        """Rows claimed so far (a row retried counts again)."""
        return self._outbox.claimed

    async def tick(self) -> int:
        """One job of the alert runner: deliver one batch; returns the rows claimed."""
        return await self.run_once()

    async def run_once(self) -> int:
        return await self._outbox.run(self._deliver)

    @abstractmethod
    async def _deliver(self, claim: C) -> None:
        """Send (or settle) one claimed row through ``self._outbox``; a ``DeliveryError`` is retried or recorded."""
