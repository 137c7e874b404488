"""The fake Microsoft identity platform + a fake Graph education API (v1.0) over TLS: schools, their classes, class
members and users, served in pages of ``page_size`` linked by ``@odata.nextLink``; faults (429/503 with
Retry-After) queued per route as in ``devtools.fakes.graph``. The district's data is invented here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from devtools.fakes.graph import FakeMicrosoft


class FakeEducationGraph(FakeMicrosoft):
    def __init__(self, directory: Path, page_size: int = 2) -> None:
        super().__init__(directory, mailboxes=set())
        self.page_size = page_size
        self.schools: list[dict[str, Any]] = []
        self.classes: dict[str, list[dict[str, Any]]] = {}  # school id -> classes
        self.members: dict[str, list[str]] = {}  # class id -> user ids
        self.users: dict[str, dict[str, Any]] = {}

    def _routes(self, app: web.Application) -> None:
        app.router.add_get("/v1.0/education/schools", self._schools)
        app.router.add_get("/v1.0/education/schools/{school}/classes", self._classes)
        app.router.add_get("/v1.0/education/classes/{cls}/members", self._members)
        app.router.add_get("/v1.0/education/users", self._users)

    # --- data ----------------------------------------------------------------------------------------------------
    def add_user(self, user_id: str, role: str, given: str, surname: str, upn: str, **extra: Any) -> None:
        self.users[user_id] = {"id": user_id, "primaryRole": role, "givenName": given, "surname": surname,
                               "displayName": f"{given} {surname}", "userPrincipalName": upn, "mail": upn,
                               "externalSource": "sis", **extra}

    # --- routes --------------------------------------------------------------------------------------------------
    async def _schools(self, request: web.Request) -> web.Response:
        return await self._page(request, self.schools)

    async def _classes(self, request: web.Request) -> web.Response:
        return await self._page(request, self.classes.get(request.match_info["school"], []))

    async def _members(self, request: web.Request) -> web.Response:
        ids = self.members.get(request.match_info["cls"], [])
        return await self._page(request, [{"id": i, "displayName": self.users[i]["displayName"]} for i in ids])

    async def _users(self, request: web.Request) -> web.Response:
        return await self._page(request, list(self.users.values()))

    async def _page(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        recorded = await self._record(request)
        token = recorded.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._tokens:
            return web.json_response({"error": {"code": "InvalidAuthenticationToken", "message": "no"}}, status=401)
        fault = await self._maybe_fault(request)
        if fault is not None:
            return fault
        skip = int(request.query.get("$skiptoken", "0"))
        body: dict[str, Any] = {"value": items[skip: skip + self.page_size]}
        if skip + self.page_size < len(items):
            body["@odata.nextLink"] = f"{self.url}{request.path}?$skiptoken={skip + self.page_size}"
        return web.json_response(body)
