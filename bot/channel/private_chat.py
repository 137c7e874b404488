"""Delivery to the requester's 1:1 chat with Faraday, from a turn that came from a shared conversation.

The chat is the one they last used (a stored, authenticated reference), or a new one opened with
``create_conversation`` (Teams returns the existing 1:1 chat when there is one). If Faraday is not installed for the
person, Teams refuses, and the caller says so in the shared conversation without the answer.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference
from msrest.exceptions import HttpOperationError

from bot.channel.proactive import open_personal_chat
from domain.actor import Actor
from domain.conversations import ConversationService

log = logging.getLogger(__name__)


PERMANENT = {400, 403, 404}  # BotNotInConversationRoster, ConversationBlockedByUser, ConversationNotFound, bad member


def refused(exc: Exception) -> bool:
    """Teams refused for good (the person can't be reached this way), as opposed to a failure worth a re-send."""
    if not isinstance(exc, HttpOperationError):
        return False
    response = exc.response
    return (getattr(response, "status_code", None) or getattr(response, "status", None)) in PERMANENT


class PrivateChat:
    def __init__(self, conversations: ConversationService, app_id: str) -> None:
        self._conversations = conversations
        self._app_id = app_id

    async def deliver(self, turn_context: TurnContext, actor: Actor, activities: list[Activity]) -> bool:
        """Send ``activities`` to the actor's 1:1 chat; False when no such chat can be reached."""
        reference = await self._conversations.personal_reference(actor.staff_id)
        if reference is not None and await self._send(turn_context, reference, activities):
            return True
        reference = await self._open(turn_context, actor)  # none stored, or the stored one no longer works
        return reference is not None and await self._send(turn_context, reference, activities)

    async def _send(self, turn_context: TurnContext, reference: dict[str, Any], activities: list[Activity]) -> bool:
        async def callback(turn: TurnContext) -> None:
            # The private copy passes through the same send hooks as the turn's own replies (links and images
            # neutralised, the system-prompt canary withheld: bot.routes._sanitised). botbuilder 4.17 keeps them in
            # ``_on_send_activities`` and offers no public way to read them.
            for hook in turn_context._on_send_activities:
                turn.on_send_activities(hook)
            await turn.send_activities(activities)

        try:
            await turn_context.adapter.continue_conversation(  # type: ignore[call-arg]
                ConversationReference().deserialize(reference), callback, bot_app_id=self._app_id)
        except Exception as exc:
            if not refused(exc):
                raise  # 429/5xx/time-out: the turn fails and Teams re-sends it, rather than a wrong "can't reach you"
            log.info("stored private chat refused", extra={"error": type(exc).__name__})
            return False
        return True

    async def _open(self, turn_context: TurnContext, actor: Actor) -> dict[str, Any] | None:
        activity = turn_context.activity
        user = activity.from_property
        try:
            reference = await open_personal_chat(
                turn_context.adapter, self._app_id, tenant_id=actor.tenant_id,
                user_id=(user.id if user and user.id else actor.aad_object_id), aad_object_id=actor.aad_object_id,
                name=actor.display_name, service_url=activity.service_url or "",
                bot_id=activity.recipient.id if activity.recipient else f"28:{self._app_id}",
                channel_id=activity.channel_id or "msteams",
            )
        except Exception as exc:
            if not refused(exc):
                raise
            log.info("could not open a private chat", extra={"error": type(exc).__name__})  # not installed for them
            return None
        await self._conversations.remember(actor, reference)
        return reference
