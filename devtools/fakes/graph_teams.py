"""The fake Microsoft identity platform + Graph's Teams app installation API for users (v1.0) over TLS, as Microsoft
documents it (userteamwork-post-installedapps, userteamwork-list-installedapps, userscopeteamsappinstallation-get-chat):

- ``POST /users/{id | upn}/teamwork/installedApps`` with ``{"teamsApp@odata.bind": ".../appCatalogs/teamsApps/{id}"}``
  → 201 with no body; 409 ``Conflict`` when the app is already installed for the user; 404 for an unknown user or
  catalog app; 403 when the app is blocked for the user (an app permission policy).
- ``GET /users/{id | upn}/teamwork/installedApps?$expand=teamsAppDefinition&$filter=teamsApp/id eq '{id}'`` → the
  matching installations (``value``).
- ``GET /users/{id | upn}/teamwork/installedApps/{installation id}/chat`` → ``{"id": "19:…@unq.gbl.spaces"}``.

Each call needs a token from the fake identity platform (the real msal gets it). Faults queue per route as in
``devtools.fakes.graph``. Test controls: ``hold_installs`` (a slow Graph: install POSTs wait until released) and a
user's ``listing_lag`` (Graph's directory is eventually consistent: after an install, that many listings still come
back empty). The people here are invented."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from devtools.fakes.graph import FakeMicrosoft

APP_FILTER = re.compile(r"teamsApp/id eq '([^']*)'")


@dataclass
class DirectoryUser:
    id: str
    upn: str
    blocked: bool = False  # an app permission policy blocks the app for them: 403
    installed: dict[str, str] = field(default_factory=dict)  # catalog app id → installation id
    listing_lag: int = 0  # after an install, this many listings of their apps still come back empty
    _lagging: int = 0


class FakeTeamsApps(FakeMicrosoft):
    def __init__(self, directory: Path, catalog_app_id: str) -> None:
        super().__init__(directory, mailboxes=set())
        self.catalog_app_id = catalog_app_id
        self.users: dict[str, DirectoryUser] = {}  # by id and by UPN (lower case)
        self.installs_posted = 0  # POSTs that installed something (not 409s)
        self._held: tuple[asyncio.Event, str | None, int] | None = None  # (release, only this user, how many more)

    def hold_installs(self, user: str | None = None, *, count: int = 1_000_000) -> asyncio.Event:
        """Install POSTs (for ``user`` only, when given; the next ``count`` of them) wait until the event is set,
        before anything is installed."""
        release = asyncio.Event()
        self._held = (release, user.lower() if user else None, count)
        return release

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v1.0/users/{user}/teamwork/installedApps", self._install)
        app.router.add_get("/v1.0/users/{user}/teamwork/installedApps", self._list)
        app.router.add_get("/v1.0/users/{user}/teamwork/installedApps/{installation}/chat", self._chat)

    # --- data ----------------------------------------------------------------------------------------------------
    def add_user(self, user_id: str, upn: str, *, blocked: bool = False, installed: bool = False,
                 listing_lag: int = 0) -> DirectoryUser:
        user = DirectoryUser(user_id, upn, blocked, listing_lag=listing_lag)
        self.users[user_id] = self.users[upn.lower()] = user
        if installed:
            self._install_for(user)
        return user

    @staticmethod
    def chat_id(user: DirectoryUser) -> str:
        return f"19:{user.id}_faraday-bot@unq.gbl.spaces"

    def _install_for(self, user: DirectoryUser) -> None:
        user.installed[self.catalog_app_id] = f"inst-{user.id}-{self.catalog_app_id}"

    # --- routes --------------------------------------------------------------------------------------------------
    async def _install(self, request: web.Request) -> web.Response:
        denied = await self._guard(request)
        if denied is not None:
            return denied
        user = self.users[request.match_info["user"].lower()]
        await self._wait_if_held(request.match_info["user"].lower())
        bind = str((self.requests[-1].json or {}).get("teamsApp@odata.bind", ""))
        app_id = bind.rsplit("/appCatalogs/teamsApps/", 1)[-1] if "/appCatalogs/teamsApps/" in bind else ""
        if app_id != self.catalog_app_id:
            return _error(404, "NotFound", "the app was not found in the catalog")
        if user.blocked:
            return _error(403, "Forbidden", "the app is blocked for this user by an app permission policy")
        if app_id in user.installed:
            return _error(409, "Conflict", "the app is already installed for this user")
        self._install_for(user)
        user._lagging = user.listing_lag
        self.installs_posted += 1
        return web.Response(status=201)

    async def _list(self, request: web.Request) -> web.Response:
        denied = await self._guard(request)
        if denied is not None:
            return denied
        user = self.users[request.match_info["user"].lower()]
        match = APP_FILTER.search(request.query.get("$filter", ""))
        wanted = match.group(1) if match else None
        if user._lagging > 0:  # installed, but not listed yet
            user._lagging -= 1
            return web.json_response({"value": []})
        value = [{"id": installation, "teamsAppDefinition": {"teamsAppId": app, "displayName": "Faraday"}}
                 for app, installation in user.installed.items() if wanted is None or app == wanted]
        return web.json_response({"value": value})

    async def _chat(self, request: web.Request) -> web.Response:
        denied = await self._guard(request)
        if denied is not None:
            return denied
        user = self.users[request.match_info["user"].lower()]
        if request.match_info["installation"] not in user.installed.values():
            return _error(404, "NotFound", "no such installation")
        return web.json_response({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#chats/$entity",
                                  "id": self.chat_id(user)})

    async def _wait_if_held(self, user: str) -> None:
        if self._held is None:
            return
        release, only, count = self._held
        if count > 0 and (only is None or only == user):
            self._held = (release, only, count - 1)
            await release.wait()

    async def _guard(self, request: web.Request) -> web.Response | None:
        """Record; 401 without a token we issued; a queued fault; 404 for a user not in the directory."""
        recorded = await self._record(request)
        token = recorded.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._tokens:
            return _error(401, "InvalidAuthenticationToken", "no")
        fault = await self._maybe_fault(request)
        if fault is not None:
            return fault
        if request.match_info["user"].lower() not in self.users:
            return _error(404, "Request_ResourceNotFound", "the user does not exist")
        return None


def _error(status: int, code: str, message: str) -> web.Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    return web.json_response(body, status=status)
