"""Per-user limits (OWASP LLM10): a sliding-window message rate in Redis and a daily model-token budget.

Keys hold staff ids, never names. When Redis is down the limits hold per process (logged once) and the shared
counters resume when it is back. ``BudgetedBackend`` wraps a model backend: past the budget it raises
``ModelUnavailable`` (the agent then answers with the offline planner or says the model is unavailable).
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agent.model import ModelBackend, ModelReply, ModelUnavailable, PlanningContext, TextSink

log = logging.getLogger(__name__)

PREFIX = "faraday:limit:"
CHARS_PER_TOKEN = 4  # estimate when a backend does not report usage
# KEYS: one sorted set per window. ARGV: now, member, then per window: trim bound (now - seconds), ttl, limit.
# Counts the member in every window; if any window is over its limit, takes it out of all of them again (a refused
# message uses up no window). Returns per window {count, oldest score}; scores stay strings (a Lua number returned
# to Redis is truncated to an integer).
HITS_SCRIPT = """
local over, out = false, {}
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, 0, ARGV[3 * i])
  redis.call('ZADD', key, ARGV[1], ARGV[2])
  local count = redis.call('ZCARD', key)
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  redis.call('EXPIRE', key, ARGV[3 * i + 1])
  if count > tonumber(ARGV[3 * i + 2]) then over = true end
  out[i] = {count, oldest[2]}
end
if over then
  for _, key in ipairs(KEYS) do redis.call('ZREM', key, ARGV[2]) end
end
return out
"""


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    seconds: int
    name: str


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after_s: int = 0


class TokenBudgetExceeded(ModelUnavailable):
    """The user has used their model tokens for today."""


class RateLimiter:
    def __init__(
        self,
        redis: Redis | None,
        *,
        per_minute: int = 12,
        per_hour: int = 200,
        daily_tokens: int = 200_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self.windows = (Window(per_minute, 60, "m"), Window(per_hour, 3600, "h"))
        self.daily_tokens = daily_tokens
        self._clock = clock
        self._local_hits: dict[str, deque[float]] = {}
        self._local_tokens: dict[str, int] = {}
        self._degraded = False
        self._ids = itertools.count()
        self._tag = secrets.token_hex(4)  # members stay unique across replicas that share the windows
        self._script = redis.register_script(HITS_SCRIPT) if redis is not None else None

    # --- message rate --------------------------------------------------------------------------------------------
    async def hit(self, user: str) -> Decision:
        """Count one message from ``user`` (an opaque id) and say whether it is within every window."""
        now = self._clock()
        keys = [f"{PREFIX}{window.name}:{user}" for window in self.windows]
        decisions: list[Decision] | None = None
        if self._redis is not None:
            try:
                decisions = await self._redis_hits(keys, now)
            except (RedisError, OSError):
                self._degrade()
        if decisions is None:
            decisions = [self._local_hit(key, window, now) for key, window in zip(keys, self.windows, strict=True)]
        worst = Decision(True)
        for decision in decisions:
            if not decision.allowed and decision.retry_after_s >= worst.retry_after_s:
                worst = decision
        return worst

    async def _redis_hits(self, keys: list[str], now: float) -> list[Decision]:
        """Every window in one script call, atomically (a sliding log per window: a sorted set of message times)."""
        assert self._script is not None
        member = f"{now:.6f}:{self._tag}:{next(self._ids)}"
        args: list[str | int | float] = [now, member]
        for window in self.windows:
            args += [now - window.seconds, window.seconds + 1, window.limit]
        replies = await self._script(keys=keys, args=args)
        self._recovered()
        decisions = []
        for window, (count, oldest) in zip(self.windows, replies, strict=True):
            if int(count) <= window.limit:
                decisions.append(Decision(True))
            else:
                decisions.append(Decision(False, max(1, int(float(oldest) + window.seconds - now) + 1)))
        return decisions

    def _local_hit(self, key: str, window: Window, now: float) -> Decision:
        hits = self._local_hits.setdefault(key, deque())
        while hits and hits[0] <= now - window.seconds:
            hits.popleft()
        if len(hits) >= window.limit:
            return Decision(False, max(1, int(hits[0] + window.seconds - now) + 1))
        hits.append(now)
        return Decision(True)

    # --- daily token budget --------------------------------------------------------------------------------------
    def _token_key(self, user: str) -> str:
        day = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y%m%d")
        return f"{PREFIX}tokens:{day}:{user}"

    async def tokens_used(self, user: str) -> int:
        key = self._token_key(user)
        if self._redis is not None:
            try:
                value = await self._redis.get(key)
                self._recovered()
                return int(value or 0)
            except (RedisError, OSError):
                self._degrade()
        return self._local_tokens.get(key, 0)

    async def within_budget(self, user: str) -> bool:
        return await self.tokens_used(user) < self.daily_tokens

    async def charge(self, user: str, tokens: int) -> None:
        key = self._token_key(user)
        if self._redis is not None:
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.incrby(key, max(0, tokens))
                    pipe.expire(key, 2 * 86400)
                    await pipe.execute()
                self._recovered()
                return
            except (RedisError, OSError):
                self._degrade()
        self._local_tokens[key] = self._local_tokens.get(key, 0) + max(0, tokens)

    # --- degradation ---------------------------------------------------------------------------------------------
    def _degrade(self) -> None:
        if not self._degraded:
            log.warning("redis unavailable: rate limits and token budgets are per process until it is back")
            self._degraded = True

    def _recovered(self) -> None:
        if self._degraded:
            log.info("redis is back: rate limits are shared again")
            self._degraded = False


def user_key(tenant_id: str | None, aad_object_id: str | None) -> str:
    """The opaque per-user key (Teams ids, no names)."""
    return f"{tenant_id or '-'}:{aad_object_id or '-'}"


class BudgetedBackend:
    """A model backend that charges each call to the caller's daily token budget and refuses past it."""

    def __init__(self, inner: ModelBackend, limiter: RateLimiter) -> None:
        self._inner = inner
        self._limiter = limiter
        self.name = inner.name

    async def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        ctx: PlanningContext,
        on_text: TextSink | None = None,
    ) -> ModelReply:
        user = user_key(ctx.actor.tenant_id, ctx.actor.aad_object_id)
        if not await self._limiter.within_budget(user):
            log.info("daily token budget used up", extra={"staff_id": ctx.actor.staff_id})
            raise TokenBudgetExceeded("daily token budget used up")
        reply = await self._inner.complete(messages, tools, ctx, on_text)
        await self._limiter.charge(user, estimate_tokens(messages, tools, reply))
        return reply

    async def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            await close()


def estimate_tokens(messages: list[dict[str, Any]], tools: list[dict[str, Any]], reply: ModelReply) -> int:
    """Prompt + completion size in tokens, estimated from characters (backends need not report usage)."""
    usage = getattr(reply, "usage_tokens", None)
    if isinstance(usage, int) and usage > 0:
        return usage
    sent = len(json.dumps(messages, default=str)) + len(json.dumps(tools, default=str))
    got = len(reply.content or "") + sum(len(c.name) + len(c.arguments) for c in reply.tool_calls)
    return (sent + got) // CHARS_PER_TOKEN + 1
