"""The Teams side of roster sync: link an unknown caller to their imported staff row by the Teams member record
(``TeamsInfo.get_member``: UPN and e-mail through the Bot Connector), and the admin commands ``set role <person>
<role>`` and ``roster status``. Matching, binding, roles and auditing live in ``domain.roster``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.actions.outcome import CardOutcome
from bot.cards.elements import escape
from domain.actor import Actor
from domain.errors import DomainError
from domain.models import Role
from domain.roster.linking import StaffLinks

log = logging.getLogger(__name__)

_SET_ROLE = re.compile(
    r"^/?set\s+role\s+(?:of\s+|for\s+)?(.{1,254}?)\s+(?:to\s+|as\s+)?(teacher|coach|nurse|admin)$", re.I)
_STATUS = re.compile(r"^/?roster\s+status$", re.I)
ADMINS_ONLY = "Only administrators can use that command."


async def graph_sync_ctx(app: Any) -> AsyncIterator[None]:
    """cleanup_ctx: the scheduled Graph roster sync, when ``ROSTER_GRAPH_SYNC_MINUTES`` > 0 and Graph is set up."""
    from bot.routes import ENGINE, SETTINGS
    from domain.db import make_sessionmaker
    from domain.roster.schedule import scheduled_graph_sync

    settings = app[SETTINGS]
    task = None
    if settings.roster_graph_sync_minutes > 0 and settings.graph_configured:
        task = asyncio.create_task(scheduled_graph_sync(make_sessionmaker(app[ENGINE]), settings))
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def link_caller(turn_context: TurnContext, links: StaffLinks | None) -> Actor | None:
    """The caller bound to their imported staff row, or None (unknown: the polite refusal follows)."""
    activity = turn_context.activity
    sender = activity.from_property
    if links is None or sender is None or not sender.id or activity.channel_id != "msteams":
        return None
    try:
        member = await TeamsInfo.get_member(turn_context, sender.id)
    except Exception as exc:  # the connector said no (404, 5xx, timeout): the caller stays unknown
        log.info("teams member record unavailable", extra={"error": type(exc).__name__})
        return None
    aad = getattr(sender, "aad_object_id", None)
    if member is None or (member.aad_object_id and aad and member.aad_object_id != aad):
        return None
    tenant = (activity.conversation.tenant_id if activity.conversation else None) or (
        (activity.channel_data or {}).get("tenant", {}).get("id"))
    return await links.link(tenant, aad, member.user_principal_name, member.email)


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
