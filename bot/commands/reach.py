"""``who can't be reached`` / ``reachability`` (admins): staff Faraday cannot message (domain.reach)."""

from __future__ import annotations

import re

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, heading, section, text
from domain.actor import Actor
from domain.errors import DomainError
from tools.base import ReachAccess

VIA = "command:reachability"
_REACH = re.compile(r"^/?(reachability|unreachable( staff)?|who can'?t (be reached|faraday reach)|"
                    r"who (is|isn'?t) (not )?reachable)[?.!]*$", re.I)
SHOWN = 40


async def reach_command(text_in: str, actor: Actor, services: ReachAccess) -> CardOutcome | None:
    if _REACH.match(" ".join(text_in.split())) is None:
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
    return CardOutcome(text=f"{len(people)} staff at your school cannot be reached in Teams.", cards=[card(body)])
