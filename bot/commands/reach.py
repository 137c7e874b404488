"""``who can't be reached`` / ``reachability`` (admins): staff Faraday cannot message (domain.reach); with Graph
configured, an *Install Faraday for them* button and ``install faraday for unreachable staff``: a confirmation card
naming who, then *Install* (``reach.install``, keyed on the card: a second press queues nothing more). The press
answers at once; the install runs in the background (domain.teams_install_jobs) and the per-person report comes to
the admin's 1:1 chat when it is done."""

from __future__ import annotations

import re
import secrets
from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, heading, section, submit, text
from bot.cards.teams_install import report_card, report_sentence
from domain.actor import Actor
from domain.errors import DomainError
from domain.reach import Unreachable
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
                 "pre-class briefs and nurse requests reach them. Nothing is installed before you press Install; "
                 "then it runs in the background and I message you who was installed."),
            section("Who", names)]
    return card(body, [submit(f"Install for {len(can)}", INSTALL, form_key=key), submit("Cancel", CANCEL)])


async def confirm_install(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return await _confirmation(deps.actor, deps.services)


async def install(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    """Queue the install (never asks Graph in the turn); a re-press says it is under way, or shows what it did."""
    jobs = deps.services.teams_install
    if jobs is None:
        return CardOutcome(text=NOT_SET_UP)
    try:  # form_key: the Playground cannot submit a field named "key"; cards made before still carry "key"
        queued = await jobs.start(deps.actor, str(value.get("form_key") or value.get("key") or ""), via=VIA_INSTALL)
    except DomainError as exc:
        return CardOutcome(text=str(exc))
    people = f"{queued.people} {'person' if queued.people == 1 else 'people'}"
    if queued.state == "queued":
        return CardOutcome(text=f"Installing Faraday for {people}; I'll message you when it's done.")
    if queued.state == "under way" or queued.report is None:
        return CardOutcome(text=f"Already installing Faraday for {people} (this button was pressed before); "
                                "I'll message you when it's done.")
    return CardOutcome(text=report_sentence(queued.report), cards=[report_card(queued.report)])


async def cancel_install(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return CardOutcome(text="Cancelled; nothing was installed.")


REACH_ACTIONS = {CONFIRM: confirm_install, INSTALL: install, CANCEL: cancel_install}
