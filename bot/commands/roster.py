"""Roster commands for admins: ``set role <person> <role>`` (a role the roster files don't carry: nurse, coach,
admin; audited, kept by later imports) and ``roster status`` (the last import or sync). The work is in
``domain.roster``."""

from __future__ import annotations

import re
from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import escape
from domain.actor import Actor
from domain.errors import DomainError
from domain.models import Role

_SET_ROLE = re.compile(
    r"^/?set\s+role\s+(?:of\s+|for\s+)?(.{1,254}?)\s+(?:to\s+|as\s+)?(teacher|coach|nurse|admin)$", re.I)
_STATUS = re.compile(r"^/?roster\s+status$", re.I)
ADMINS_ONLY = "Only administrators can use that command."


async def roster_command(text_in: str, actor: Actor, services: Any) -> CardOutcome | None:
    """``set role <person> <role>`` or ``roster status`` (admins); None when ``text_in`` is neither."""
    command = " ".join(text_in.split())
    set_role, status = _SET_ROLE.match(command), _STATUS.match(command)
    if set_role is None and status is None:
        return None
    if actor.role != Role.admin:
        return CardOutcome(text=ADMINS_ONLY)
    try:
        if set_role is not None:
            if services.staff_links is None:
                return CardOutcome(text="Roles can't be set on this Faraday.")
            person = set_role.group(1).strip(" '\"")
            return CardOutcome(text=escape(await services.staff_links.set_role(actor, person, set_role.group(2))))
        if services.roster_status is None:
            return CardOutcome(text="Roster status isn't available on this Faraday.")
        return CardOutcome(text="\n\n".join(escape(line) for line in await services.roster_status.summary(actor)))
    except DomainError as exc:
        return CardOutcome(text=str(exc))
