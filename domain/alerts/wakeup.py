"""Redis wake-ups for the relay, an optimisation: with Redis down, relays still poll and deliver.

``RedisWaker`` publishes a wake-up after a commit, so every replica's relay looks at once (not at its next poll).
(The send journal, Redis too, is the shared outbox's: ``domain/outbox/journal.py``.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CHANNEL = "faraday:alerts:wake"


class RedisWaker:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._tasks: set[asyncio.Task[None]] = set()

    def poke(self) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self._publish())
        except RuntimeError:  # no loop (a sync caller): the relays' polling picks the work up
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish(self) -> None:
        try:
            await self._redis.publish(CHANNEL, b"1")
        except (RedisError, OSError) as exc:
            log.info("alert wake-up not published", extra={"error": type(exc).__name__})


async def wait_for_wakeups(redis: Redis, wake: asyncio.Event, stop: asyncio.Event) -> None:
    """Set ``wake`` on every published wake-up until ``stop``; reconnects with backoff when Redis is down."""
    delay = 0.5
    while not stop.is_set():
        try:
            async with redis.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                delay = 0.5
                while not stop.is_set():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        wake.set()
        except (RedisError, OSError) as exc:
            log.info("alert wake-ups unavailable; polling only", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 30.0)
