"""Who is asking: the caller resolved from the server-side identity (tenant, AAD object id), or bound by their Teams
member record on first contact; where to reach them is remembered on every turn. Nobody unknown gets school data."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.channel.activity_json import serialize
from bot.channel.policy import tenant_id
from bot.channel.shared_conversations import conversation_type
from bot.channel.staff_link import link_caller
from domain.actor import Actor
from domain.conversations import ConversationService
from domain.identity import IdentityService
from domain.turn_start import History, TurnStart
from tools.base import Services

log = logging.getLogger(__name__)

UNKNOWN_USER = (
    "Sorry, I don't recognise your account, so I can't help with school data. "
    "Please ask your school's Faraday administrator to add you."
)

_TURN_START = "faraday.turn_start"  # turn_state key: the task reading the caller and their history


class Callers:
    def __init__(self, *, identity: IdentityService, turn_start: TurnStart, conversations: ConversationService,
                 services: Services) -> None:
        self._identity = identity
        self._turn_start = turn_start
        self._conversations = conversations
        self._services = services

    def prefetch(self, activity: Activity) -> asyncio.Future[tuple[Actor | None, History]]:
        """Begin the turn's first read (who is asking, their recent turns) while the caller does something else."""
        start = asyncio.ensure_future(self._turn_start.load(
            tenant_id(activity), _aad_object_id(activity), activity.conversation.id))
        start.add_done_callback(_retrieve)
        return start

    @staticmethod
    def keep(turn_context: TurnContext, start: asyncio.Future[tuple[Actor | None, History]]) -> None:
        """Hand a prefetched read to ``resolve_with_history`` later in the same turn."""
        turn_context.turn_state[_TURN_START] = start

    async def resolve(self, turn_context: TurnContext) -> Actor | None:
        """Resolve the caller from the server-side identity; remember where to reach them."""
        activity = turn_context.activity
        actor = await self._identity.resolve(tenant_id(activity), _aad_object_id(activity))
        return await self.known(actor, activity)

    async def resolve_with_history(self, turn_context: TurnContext) -> tuple[Actor | None, History]:
        """``resolve`` and the caller's recent turns in this conversation, in one database statement."""
        activity = turn_context.activity
        started = turn_context.turn_state.pop(_TURN_START, None)  # begun by on_turn alongside de-duplication
        if started is not None:
            actor, history = await started
        else:
            actor, history = await self._turn_start.load(tenant_id(activity), _aad_object_id(activity),
                                                         activity.conversation.id)
        if actor is None:  # staff imported from a roster: bound by their Teams member record on first contact
            actor = await link_caller(turn_context, self._services.staff_links)
        return await self.known(actor, activity), history

    async def link(self, turn_context: TurnContext) -> Actor | None:
        """The caller bound by their Teams member record (staff imported from a roster who never wrote yet)."""
        return await self.known(await link_caller(turn_context, self._services.staff_links), turn_context.activity)

    async def known(self, actor: Actor | None, activity: Activity) -> Actor | None:
        if actor is None:
            log.info("unknown user refused", extra={"activity_type": activity.type})
            return None
        reference = serialize(TurnContext.get_conversation_reference(activity))
        await self._conversations.remember(actor, reference)
        return replace(actor, conversation_type=conversation_type(activity))  # kept on every audit row


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a discarded task's outcome as seen (no "exception was never retrieved" noise for a duplicate)."""
    if not task.cancelled():
        task.exception()


def _aad_object_id(activity: Activity) -> str | None:
    return activity.from_property.aad_object_id if activity.from_property else None
