"""A local fake Bot Connector (the Teams service the bot replies to): records, fails and rate-limits on demand."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from devtools.fakes.loopback import LoopbackServer


@dataclass
class Fault:
    status: int
    remaining: int
    retry_after: float | None = None
    delay_s: float = 0.0  # answer (with ``status``, nothing recorded) only after this long: a hung connector
    where: Callable[[str], bool] | None = None  # only requests whose path this accepts (None: any request)


@dataclass
class FakeConnector(LoopbackServer):
    activities: list[dict[str, Any]] = field(default_factory=list)  # everything the bot sent, in order
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    # Teams member records served at GET /v3/conversations/{cid}/members/{user id} (TeamsInfo.get_member)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    _faults: list[Fault] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return self._url("").rstrip("/")

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)

    def fail_next(self, status: int, count: int = 1, retry_after: float | None = None,
                  where: Callable[[str], bool] | None = None) -> None:
        """The next ``count`` sends (only those whose path ``where`` accepts, if given) answer ``status``."""
        self._faults.append(Fault(status, count, retry_after, where=where))

    def hang_next(self, seconds: float, count: int = 1, where: Callable[[str], bool] | None = None) -> None:
        """The next ``count`` sends (only those whose path ``where`` accepts, if given) get no answer for ``seconds``
        (then a 504), and post nothing."""
        self._faults.append(Fault(504, count, delay_s=seconds, where=where))

    def messages(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        return [
            a
            for a in self.activities
            if a.get("type") == "message" and (conversation_id is None or a["_conversation"] == conversation_id)
        ]

    async def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 10.0) -> None:
        async def until() -> None:
            while not predicate(self.activities):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)

    def _fault(self, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and (fault.where is None or fault.where(path)):
                fault.remaining -= 1
                return fault
        return None

    @staticmethod
    async def _answer(fault: Fault) -> web.Response:
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return web.json_response({"error": {"code": "Fault", "message": "injected"}}, status=fault.status,
                                 headers=headers)

    async def _send(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        fault = self._fault(request.path)
        if fault is not None:
            return await self._answer(fault)
        body = await request.json()
        activity_id = f"activity-{next(self._ids)}"
        body["_conversation"] = request.match_info["cid"]
        body["_id"] = activity_id
        body["_authorization"] = request.headers.get("Authorization")
        self.activities.append(body)
        self._changed.set()
        return web.json_response({"id": activity_id})

    async def _member(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        member = self.members.get(request.match_info["mid"])
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response(member)

    async def _update(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        body = await request.json()
        body["_conversation"] = request.match_info["cid"]
        body["_id"] = request.match_info["aid"]
        body["_update"] = True
        self.activities.append(body)
        self._changed.set()
        return web.json_response({"id": request.match_info["aid"]})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        fault = self._fault(request.path)
        if fault is not None:
            return await self._answer(fault)
        return web.json_response({"id": f"conversation-{next(self._ids)}"})
