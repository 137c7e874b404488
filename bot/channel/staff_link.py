"""Staff imported from a roster, met in Teams for the first time: the caller's Teams member record
(``TeamsInfo.get_member``: UPN and e-mail through the Bot Connector) is handed to ``domain.roster.linking``, which
binds it to the matching staff row (audited) or returns None (the polite refusal follows)."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from domain.actor import Actor
from domain.roster.linking import StaffLinks

log = logging.getLogger(__name__)


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
