"""The fake Bot Connector with Teams' limits enforced (429 + Retry-After past them), per-conversation permanent
errors (403 BotNotInConversationRoster...), latency, ``create_conversation`` that remembers its member, and counts."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from devtools.fakes.connector import FakeConnector

Windows = Sequence[tuple[int, float]]


@dataclass
class RateLimitedConnector(FakeConnector):
    conversation_limits: Windows = ((7, 1.0), (8, 2.0), (60, 30.0))
    tenant_limits: Windows = ((50, 1.0),)
    latency_s: float = 0.0
    throttled: int = 0  # 429s this connector answered because a limit was exceeded (not injected faults)
    created: list[dict[str, Any]] = field(default_factory=list)  # create_conversation bodies
    _blocked: dict[str, tuple[int, str]] = field(default_factory=dict)
    _seen: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def block(self, conversation_id: str, status: int = 403, code: str = "BotNotInConversationRoster") -> None:
        """Every request to this conversation fails permanently (the app was uninstalled, blocked...)."""
        self._blocked[conversation_id] = (status, code)

    def _over(self, key: str, limits: Windows, now: float) -> float | None:
        seen = self._seen[key]
        horizon = max(s for _, s in limits)
        while seen and seen[0] <= now - horizon:
            seen.popleft()
        waits = [seen[-n] + s - now for n, s in limits if len(seen) >= n]
        return max(waits) if waits else None

    async def _admit(self, request: web.Request, conversation_id: str) -> web.Response | None:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if conversation_id in self._blocked:
            status, code = self._blocked[conversation_id]
            return web.json_response({"error": {"code": code, "message": "blocked"}}, status=status)
        now = time.monotonic()
        tenant = "tenant"
        wait = max(self._over(conversation_id, self.conversation_limits, now) or 0.0,
                   self._over(tenant, self.tenant_limits, now) or 0.0)
        if wait > 0:
            self.throttled += 1
            return web.json_response({"error": {"code": "Throttled", "message": "too many requests"}}, status=429,
                                     headers={"Retry-After": f"{max(wait, 0.05):.2f}"})
        self._seen[conversation_id].append(now)
        self._seen[tenant].append(now)
        return None

    async def _send(self, request: web.Request) -> web.Response:
        refusal = await self._admit(request, request.match_info["cid"])
        if refusal is not None:
            self.requests.append((request.method, request.path))
            return refusal
        return await super()._send(request)

    async def _update(self, request: web.Request) -> web.Response:
        refusal = await self._admit(request, request.match_info["cid"])
        if refusal is not None:
            self.requests.append((request.method, request.path))
            return refusal
        return await super()._update(request)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        fault = self._fault(request.path)
        if fault is not None:
            return await self._answer(fault)
        body = await request.json()
        self.created.append(body)
        member = (body.get("members") or [{}])[0].get("id", "unknown")
        return web.json_response({"id": f"a:created-{member}"})

    def cards(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Adaptive card contents of the messages (not updates) sent, optionally to one conversation."""
        return [a["content"] for m in self.messages(conversation_id) if not m.get("_update")
                for a in (m.get("attachments") or []) if a.get("contentType", "").endswith("card.adaptive")]

    def updates(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.activities if m.get("_update")
                and (conversation_id is None or m["_conversation"] == conversation_id)]
