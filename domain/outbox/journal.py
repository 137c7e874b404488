"""The send journal in Redis: "delivery N of this outbox went out as activity A", written right after the connector
answers and before the database records it. A relay resuming a row whose earlier attempt never finished reads it
first and, when the message went out, only records it: a crash between Teams accepting and the mark does not send
twice. An optimisation only: with Redis down nothing is written or found, and the row is sent again."""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

TTL_S = 7 * 24 * 3600


class SendJournal:
    """``key``: the outbox's key pattern with one ``{}`` for the row id, e.g. ``faraday:alerts:sent:{}``."""

    def __init__(self, redis: Redis, key: str) -> None:
        self._redis = redis
        self._key = key

    async def record(self, delivery_id: int, activity_id: str, conversation_id: str) -> None:
        try:
            await self._redis.set(self._key.format(delivery_id), f"{activity_id}\n{conversation_id}", ex=TTL_S)
        except (RedisError, OSError) as exc:
            log.info("send journal not written", extra={"key": self._key, "error": type(exc).__name__})

    async def lookup(self, delivery_id: int) -> tuple[str, str] | None:
        try:
            value = await self._redis.get(self._key.format(delivery_id))
        except (RedisError, OSError):
            return None
        if not value:
            return None
        activity_id, _, conversation_id = (value.decode() if isinstance(value, bytes) else str(value)).partition("\n")
        return activity_id, conversation_id


def journal_for(redis: Redis | None, key: str) -> SendJournal | None:
    return SendJournal(redis, key) if redis is not None else None
