"""``who can't be reached`` / ``reachability`` (admins): staff Faraday cannot message (domain.reach); with Graph
configured, an *Install Faraday for them* button and ``install faraday for unreachable staff``: a confirmation card
naming who, then *Install* (``reach.install``, keyed: a second press installs nothing more) and a per-person report
(domain.teams_install)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, heading, section, submit, text
from domain.actor import Actor
from domain.errors import DomainError
from domain.reach import Unreachable
from domain.teams_install import InstallReport
from tools.base import ReachAccess, ToolDeps

VIA = "command:reachability"
VIA_INSTALL = "card:reach.install"
CONFIRM, INSTALL, CANCEL = "reach.install.confirm", "reach.install", "reach.install.cancel"
_REACH = re.compile(r"^/?(reachability|unreachable( staff)?|who can'?t (be reached|faraday reach)|"
                    r"who (is|isn'?t) (not )?reachable)[?.!]*$", re.I)
_INSTALL = re.compile(r"^/?install (faraday|the app)( in teams)? for (the )?(unreachable|unreached) (staff|people)"
                      r"[.!]*$", re.I)
SHOWN = 40
NOT_SET_UP = ("Installing Faraday for staff isn't set up on this Faraday (it needs Microsoft Graph and "
              "TEAMS_APP_CATALOG_ID).")


async def reach_command(text_in: str, actor: Actor, services: ReachAccess) -> CardOutcome | None:
    said = " ".join(text_in.split())
    if _INSTALL.match(said):
        return await _confirmation(actor, services)
    if _REACH.match(said) is None:
        return None
    if services.reach is None:
        return CardOutcome(text="Reachability isn't set up on this Faraday.")
    try:
        people = await services.reach.unreachable(actor, via=VIA)
    except DomainError as exc:
        return CardOutcome(text=str(exc))
    if not people:
        return CardOutcome(text="Everyone on your school's staff can be reached in Teams.")
    lines = [f"{p.name} ({p.role}): {p.reason}" for p in people[:SHOWN]]
    body = [heading(f"{len(people)} staff Faraday cannot reach"), section("Who and why", lines, style="attention")]
    if len(people) > SHOWN:
        body.append(text(f"…and {len(people) - SHOWN} more.", subtle=True))
    actions = ([submit("Install Faraday for them…", CONFIRM)]
               if services.teams_install is not None and any(p.address for p in people) else None)
    return CardOutcome(text=f"{len(people)} staff at your school cannot be reached in Teams.",
                       cards=[card(body, actions)])


async def _confirmation(actor: Actor, services: ReachAccess) -> CardOutcome:
    installer = services.teams_install
    if installer is None:
        return CardOutcome(text=NOT_SET_UP)
    try:
        people = await installer.candidates(actor, via=VIA)
    except DomainError as exc:
        return CardOutcome(text=str(exc))
    return CardOutcome(cards=[confirmation_card(people, secrets.token_urlsafe(16))])


def confirmation_card(people: list[Unreachable], key: str) -> dict[str, Any]:
    can = [p for p in people if p.address]
    if not can:
        return card([heading("Nobody to install for"),
                     text("Everyone is reachable, or Faraday knows no Teams account or e-mail for who is not.")])
    names = [p.name for p in can[:SHOWN]] + ([f"…and {len(can) - SHOWN} more"] if len(can) > SHOWN else [])
    body = [heading(f"Install Faraday in Teams for {len(can)} staff?"),
            text("Microsoft Graph adds Faraday to their Teams (personal scope) and opens a 1:1 chat, so alerts, "
                 "pre-class briefs and nurse requests reach them. Nothing is installed before you press Install."),
            section("Who", names)]
    return card(body, [submit(f"Install for {len(can)}", INSTALL, key=key), submit("Cancel", CANCEL)])


def report_card(report: InstallReport) -> dict[str, Any]:
    reached, missed = report.reached, report.not_reached
    title = (f"Faraday is installed for {len(reached)} of {len(report.results)}" if report.results
             else "Nothing was installed")
    body: list[dict[str, Any]] = [heading(title)]
    if report.repeated:
        body.append(text("This was already done; nothing more was installed.", subtle=True))
    if reached:
        body.append(section("Reachable now", [f"{r.name} ({r.outcome})" for r in reached]))
    if missed:
        body.append(section("Not installed", [f"{r.name}: {r.detail or r.outcome}" for r in missed],
                            style="attention"))
    return card(body)


async def confirm_install(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return await _confirmation(deps.actor, deps.services)


async def install(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    installer = deps.services.teams_install
    if installer is None:
        return CardOutcome(text=NOT_SET_UP)
    try:
        report = await installer.install(deps.actor, str(value.get("key") or ""), via=VIA_INSTALL)
    except DomainError as exc:
        return CardOutcome(text=str(exc))
    missed = report.not_reached
    sentence = (f"Installed for {len(report.reached)} of {len(report.results)}."
                + (f" Not installed: {', '.join(r.name for r in missed)}." if missed else ""))
    return CardOutcome(text=sentence, cards=[report_card(report)])


async def cancel_install(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return CardOutcome(text="Cancelled; nothing was installed.")


REACH_ACTIONS = {CONFIRM: confirm_install, INSTALL: install, CANCEL: cancel_install}
