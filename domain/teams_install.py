"""Installing Faraday in Teams for staff it cannot reach (#24.3), as Microsoft documents proactive installation:

1. ``POST /users/{id}/teamwork/installedApps`` with ``{"teamsApp@odata.bind": "…/appCatalogs/teamsApps/{catalog id}"}``
   (application permission ``TeamsAppInstallation.ReadWriteSelfForUser.All``): 201 installs it; 409 ``Conflict``
   means it was installed already (then we only look the installation up).
2. ``GET /users/{id}/teamwork/installedApps?$expand=teamsAppDefinition&$filter=teamsApp/id eq '{catalog id}'``: the
   installation id (the POST returns no body).
3. ``GET /users/{id}/teamwork/installedApps/{installation id}/chat``: the 1:1 chat's id. With the tenant's Bot
   Connector service URL (from any stored reference of that tenant) it makes a conversation reference the alert,
   brief and nurse relays send to, stored for the staff member like one from a turn.

A person Graph has not listed yet after the install (its directory is eventually consistent) is asked again with
backoff (``ListingWait``, about two minutes in all) before being reported. Graph is named by the AAD object id, or
for staff never linked to Teams by their e-mail (Graph accepts a UPN); such staff are linked when Teams tells Faraday
about the new install (the handler's install event).

This module asks Graph about one person; ``domain.teams_install_jobs`` runs the admin's request in the background
(admins only, keyed on the card, one audit row per person, a failure for one person not stopping the others)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.graph_client import GraphClient, GraphError
from domain.models import ConversationReference
from domain.reach import Reachability, Unreachable

log = logging.getLogger(__name__)

PERMISSION = ("grant the app registration Microsoft Graph's application permission "
              "TeamsAppInstallation.ReadWriteSelfForUser.All (admin consent)")
ACTION = "staff.teams_install"
REQUEST = "staff.teams_install.request"
CONCURRENCY = 4
KEY = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
ONLY_ADMINS = "Only administrators can install Faraday for other staff."
Outcome = Literal["installed", "already installed", "failed", "skipped"]
OUTCOMES: tuple[Outcome, ...] = ("installed", "already installed", "failed", "skipped")
REACHED: tuple[Outcome, ...] = ("installed", "already installed")

_ROUTE = text("SELECT service_url, bot_id FROM conversation_references WHERE tenant_id = :tenant"
              " ORDER BY updated_at DESC LIMIT 1")
_DONE = text("SELECT a.subject_id, s.display_name, a.reason FROM audit_log a JOIN staff s ON s.id = a.subject_id"
             " WHERE a.action = :action AND a.via = :via ORDER BY s.display_name, a.id")


@dataclass(frozen=True, slots=True)
class InstallResult:
    staff_id: int
    name: str
    outcome: Outcome
    detail: str = ""

    @property
    def reached(self) -> bool:
        return self.outcome in REACHED


@dataclass(frozen=True, slots=True)
class InstallReport:
    results: tuple[InstallResult, ...]
    repeated: bool = False  # the same card pressed again: nothing new was asked of Graph
    problem: str | None = None  # why the job stopped before everyone was tried (they are listed as not tried)

    @property
    def reached(self) -> list[InstallResult]:
        return [r for r in self.results if r.reached]

    @property
    def not_reached(self) -> list[InstallResult]:
        return [r for r in self.results if not r.reached]


@dataclass(frozen=True, slots=True)
class ListingWait:
    """How long to keep asking Graph for an installation it has not listed yet: pauses doubling from ``first_s`` up
    to ``cap_s``, ``total_s`` in all (about two minutes; tests shorten it)."""

    total_s: float = 120.0
    first_s: float = 2.0
    cap_s: float = 20.0

    def pauses(self) -> list[float]:
        pauses: list[float] = []
        pause = self.first_s
        while pause > 0 and sum(pauses) + pause <= self.total_s:
            pauses.append(pause)
            pause = min(pause * 2, self.cap_s)
        return pauses

    def describe(self) -> str:
        waited = sum(self.pauses())
        return f"{round(waited / 60)} minutes" if waited >= 90 else f"{waited:g} seconds"


class TeamsInstaller:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], graph: GraphClient, catalog_app_id: str, *,
                 reach: Reachability, bot_app_id: str = "", wait: ListingWait | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._sessions = sessions
        self._graph = graph
        self._catalog_app_id = catalog_app_id
        self._reach = reach
        self._bot_id = f"28:{bot_app_id}" if bot_app_id else ""
        self._wait = wait or ListingWait()
        self._sleep = sleep

    async def candidates(self, actor: Actor, *, via: str) -> list[Unreachable]:
        """The admin's unreachable staff (audited by ``Reachability``; refused for anyone else)."""
        return await self._reach.unreachable(actor, via=via)

    async def route(self, tenant_id: str) -> Any:
        """The tenant's Bot Connector address and bot id (from its newest stored reference), or None."""
        async with self._sessions() as session:
            return (await session.execute(_ROUTE, {"tenant": tenant_id})).first()

    async def recorded(self, tag: str) -> list[InstallResult]:
        """What was done for each person under ``tag`` (their audit rows), by name."""
        async with self._sessions() as session:
            rows = (await session.execute(_DONE, {"action": ACTION, "via": tag})).all()
        results = []
        for row in rows:
            outcome, _, detail = str(row.reason or "failed").partition(": ")
            results.append(InstallResult(int(row.subject_id), row.display_name,
                                         outcome if outcome in OUTCOMES else "failed",  # type: ignore[arg-type]
                                         detail))
        return results

    async def record(self, session: AsyncSession, actor: Actor, person: Unreachable, result: InstallResult,
                     route: Any, *, tag: str) -> None:
        """In the caller's transaction: the new 1:1 chat as a conversation reference, and the person's audit row."""
        if result.reached and result.detail.startswith("19:"):
            await _store(session, person, actor.tenant_id, result.detail, route, self._bot_id)
        await audit.record(session, actor, action=ACTION, subject_type="staff", subject_ids=[person.staff_id],
                           via=tag, allowed=True, reason=_reason(result))

    async def install_one(self, person: Unreachable, route: Any, gate: asyncio.Semaphore | None = None
                          ) -> InstallResult:
        """Install (201, or 409: there already), find the installation, read its chat id (the detail). Graph's
        calls run under ``gate``; the waits for a listing that is not there yet do not hold it."""
        gate = gate or asyncio.Semaphore(1)
        if not person.address:
            return InstallResult(person.staff_id, person.name, "skipped", "no Teams account or e-mail is on record")
        if route is None or not route.service_url:
            return InstallResult(person.staff_id, person.name, "failed",
                                 "no Teams service address is known for your tenant yet (message Faraday once)")
        user = f"/users/{quote(person.address, safe='@.')}/teamwork/installedApps"
        try:
            async with gate:
                status = await self._graph.post(user, {
                    "teamsApp@odata.bind": self._graph.url(f"/appCatalogs/teamsApps/{self._catalog_app_id}")},
                    conflict_ok=True)
            chat = None
            for pause in (*self._wait.pauses(), None):
                async with gate:
                    chat = await self._chat(user)
                if chat is not None or pause is None:
                    break
                await self._sleep(pause)  # Graph has not listed the new installation yet: ask again shortly
        except GraphError as exc:
            return InstallResult(person.staff_id, person.name, "failed", _why(exc))
        if chat is None:
            return InstallResult(person.staff_id, person.name, "failed",
                                 f"installed, but Graph had not listed it after {self._wait.describe()}; Faraday "
                                 "will reach them once Teams reports the install (ask for reachability later)")
        chat_id = str(chat.get("id") or "")
        if not chat_id:
            return InstallResult(person.staff_id, person.name, "failed", "Graph returned no chat for the install")
        return InstallResult(person.staff_id, person.name, "already installed" if status == 409 else "installed",
                             chat_id)

    async def _chat(self, user: str) -> dict[str, Any] | None:
        """The installation's chat; None while Graph does not list the installation (or its chat) yet."""
        found = await self._graph.get(user, {"$expand": "teamsAppDefinition",
                                             "$filter": f"teamsApp/id eq '{self._catalog_app_id}'"})
        installations = found.get("value") or []
        if not installations:
            return None
        try:
            return await self._graph.get(f"{user}/{quote(str(installations[0]['id']), safe='')}/chat")
        except GraphError as exc:
            if exc.status == 404:  # listed, but its chat not yet
                return None
            raise


def _why(exc: GraphError) -> str:
    """One sentence for the admin, without the request path (it carries the person's address)."""
    if exc.status == 404:
        return "Graph found no such user in your directory, or Faraday is not in your organisation's app catalog"
    if exc.status == 403:
        return ("Graph refused (403): Faraday may be blocked for them by a Teams app permission policy, "
                f"or the app lacks the permission ({PERMISSION})")
    if exc.status == 401:
        return f"Graph refused the app (401): {PERMISSION}"
    return exc.message


def _reason(result: InstallResult) -> str:
    detail = "chat opened" if result.detail.startswith("19:") else result.detail
    return f"{result.outcome}: {detail}"[:200] if detail else result.outcome


def public(result: InstallResult) -> InstallResult:
    """The report shows no chat ids."""
    if result.detail.startswith("19:"):
        return InstallResult(result.staff_id, result.name, result.outcome, "chat opened")
    return result


async def _store(session: AsyncSession, person: Unreachable, tenant_id: str, chat_id: str, route: Any,
                 bot_id: str) -> None:
    """The new 1:1 chat as a conversation reference (what a turn in it would have stored)."""
    bot = bot_id or str(route.bot_id or "")
    user: dict[str, Any] = {"name": person.name}
    if person.address and "@" not in person.address:
        user |= {"id": person.address, "aadObjectId": person.address}
    tenant = person.tenant_id or tenant_id
    reference = {"bot": {"id": bot, "name": "Faraday"}, "user": user, "channelId": "msteams",
                 "serviceUrl": route.service_url,
                 "conversation": {"id": chat_id, "conversationType": "personal", "tenantId": tenant,
                                  "isGroup": False}}
    stmt = insert(ConversationReference).values(
        staff_id=person.staff_id, conversation_id=chat_id[:400], conversation_type="personal",
        service_url=str(route.service_url)[:400], tenant_id=tenant[:64], channel_id="msteams", bot_id=bot[:200],
        reference=reference)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[ConversationReference.conversation_id],
        set_={"staff_id": stmt.excluded.staff_id, "reference": stmt.excluded.reference, "updated_at": func.now()}))
