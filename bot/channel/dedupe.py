"""Activity de-duplication (Teams re-sends after 15 s): Redis SET NX with a TTL, in-process when Redis is down."""

from __future__ import annotations

import contextlib
import logging
import time
from collections import OrderedDict

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

LOCAL_CAPACITY = 50_000


class Deduplicator:
    def __init__(self, redis: Redis | None, ttl_s: int, prefix: str = "faraday:activity:") -> None:
        self._redis = redis
        self._ttl = ttl_s
        self._prefix = prefix
        self._local: OrderedDict[str, float] = OrderedDict()
        self._degraded = False

    async def first_time(self, key: str) -> bool:
        """True the first time ``key`` is seen within the TTL (across replicas while Redis is up)."""
        if self._redis is not None:
            try:
                claimed = await self._redis.set(self._prefix + key, "1", nx=True, ex=self._ttl)
                if self._degraded:
                    log.info("redis is back: de-duplication is shared again")
                    self._degraded = False
                return bool(claimed)
            except (RedisError, OSError):
                if not self._degraded:
                    log.warning("redis unavailable: de-duplicating in this process only")
                    self._degraded = True
        return self._first_time_locally(key)

    async def release(self, key: str) -> None:
        """Forget ``key`` (its turn failed): Teams' re-send of the activity is then processed, not dropped."""
        self._local.pop(key, None)
        if self._redis is not None:
            # the claim expires with its TTL; the failure is already logged by first_time
            with contextlib.suppress(RedisError, OSError):
                await self._redis.delete(self._prefix + key)

    def _first_time_locally(self, key: str) -> bool:
        now = time.monotonic()
        while self._local and next(iter(self._local.values())) < now:
            self._local.popitem(last=False)
        if key in self._local:
            return False
        self._local[key] = now + self._ttl
        if len(self._local) > LOCAL_CAPACITY:
            self._local.popitem(last=False)
        return True
