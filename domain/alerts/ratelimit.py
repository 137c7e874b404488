"""Client-side rate limits, so the bot never causes a 429: Teams allows per conversation 7 messages/1 s, 8/2 s,
60/30 s and 1800/3600 s, and about 50 requests/s per app per tenant.

Sliding windows over *completed* requests: a request counts from when it started until its window has passed
since it *finished* (the server saw it at some moment in between), so queueing in the HTTP client can never bunch
requests at the server. Windows are widened by a safety margin. One limiter per process; ``tenant_share`` splits
the tenant budget between replicas.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

Windows = Sequence[tuple[int, float]]  # (requests, seconds)

CONVERSATION_LIMITS: Windows = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
TENANT_LIMITS: Windows = ((50, 1.0),)
IN_FLIGHT_POLL_S = 0.005


class _Window:
    def __init__(self, limits: Windows, margin: float) -> None:
        self._limits = [(n, s * (1 + margin)) for n, s in limits]
        self._horizon = max(s for _, s in self._limits)
        self._slots: dict[str, deque[list[float]]] = defaultdict(deque)  # [finish time, or inf while in flight]
        self._blocked: dict[str, float] = {}

    def wait(self, key: str, now: float) -> float:
        slots = self._slots[key]
        while slots and slots[0][0] <= now - self._horizon:
            slots.popleft()
        wait = self._blocked.get(key, 0.0) - now
        for limit, seconds in self._limits:
            if len(slots) >= limit:
                finished = slots[-limit][0]
                wait = max(wait, IN_FLIGHT_POLL_S if math.isinf(finished) else finished + seconds - now)
        return wait

    def take(self, key: str) -> list[float]:
        slot = [math.inf]
        self._slots[key].append(slot)
        return slot

    def block(self, key: str, until: float) -> None:
        self._blocked[key] = max(self._blocked.get(key, 0.0), until)


class RateLimiter:
    def __init__(self, *, conversation: Windows = CONVERSATION_LIMITS, tenant: Windows = TENANT_LIMITS,
                 margin: float = 0.05, tenant_share: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        scaled = [(max(1, int(n * tenant_share)), s) for n, s in tenant]
        self._conversations = _Window(conversation, margin)
        self._tenants = _Window(scaled, margin)
        self._now = monotonic
        self.waited_s = 0.0

    @asynccontextmanager
    async def slot(self, tenant_id: str, conversation_id: str) -> AsyncIterator[None]:
        """Wait until one more request to this conversation is within every limit, then make it."""
        while True:
            now = self._now()
            wait = max(self._conversations.wait(conversation_id, now), self._tenants.wait(tenant_id, now))
            if wait <= 0:
                break
            await asyncio.sleep(wait)
            self.waited_s += wait
        slots = (self._conversations.take(conversation_id), self._tenants.take(tenant_id))
        try:
            yield
        finally:
            for s in slots:
                s[0] = self._now()

    def back_off(self, tenant_id: str, conversation_id: str, seconds: float, *, tenant_wide: bool = False) -> None:
        """After a 429: nothing more to this conversation (or the whole tenant) until Retry-After has passed."""
        until = self._now() + seconds
        self._conversations.block(conversation_id, until)
        if tenant_wide:
            self._tenants.block(tenant_id, until)
