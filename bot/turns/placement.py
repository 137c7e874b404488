"""Where a reply goes (the rule is bot.channel.shared_conversations): in a 1:1 chat, there; in a shared conversation,
an open answer is posted with its owner's stamp on every button and anything else goes to the caller's private chat
with a neutral line in its place. A card pressed in a shared conversation runs only for the person it was made for."""

from __future__ import annotations

import os
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity

from bot.channel.private_chat import PrivateChat
from bot.channel.shared_conversations import (
    NO_PRIVATE_CHAT,
    SENT_PRIVATELY,
    STAMP_KEY,
    CardOwners,
    card_contents,
    is_shared,
)
from domain.actor import Actor
from domain.conversations import ConversationService


class Placement:
    def __init__(self, conversations: ConversationService, app_id: str, card_secret: bytes | None) -> None:
        self._private = PrivateChat(conversations, app_id)
        self._owners = CardOwners(card_secret or os.urandom(32))

    async def send(self, turn_context: TurnContext, actor: Actor, activity: Activity, *, open_: bool) -> None:
        await turn_context.send_activity(await self.placed(turn_context, actor, activity, open_=open_))

    async def placed(self, turn_context: TurnContext, actor: Actor, activity: Activity, *, open_: bool) -> Activity:
        """What to post in the turn's conversation. In a shared one, an answer that is not open goes to the actor's
        private chat and a neutral line is posted instead; an open one carries its owner's stamp on every button."""
        if not is_shared(actor.conversation_type):
            return activity
        if open_:
            self._owners.stamp(card_contents(activity), actor.aad_object_id)
            return activity
        delivered = await self._private.deliver(turn_context, actor, [activity])
        return MessageFactory.text(SENT_PRIVATELY if delivered else NO_PRIVATE_CHAT)

    async def deliver_privately(self, turn_context: TurnContext, actor: Actor, activity: Activity) -> bool:
        """Send to the actor's 1:1 chat; False when there is none to reach."""
        return await self._private.deliver(turn_context, actor, [activity])

    def stamp(self, card: dict[str, Any], actor: Actor) -> None:
        """Mark every button of a card as the actor's (only they may press it in a shared conversation)."""
        self._owners.stamp([card], actor.aad_object_id)

    def card_data(self, raw: dict[str, Any], actor: Actor) -> dict[str, Any] | None:
        """A card action's data without the owner's stamp; None when, in a shared conversation, the card was made
        for someone else (or carries no stamp: every card Faraday posts there has one)."""
        data = dict(raw)
        if is_shared(actor.conversation_type):
            return data if self._owners.pressed_by_owner(data, actor.aad_object_id) else None
        data.pop(STAMP_KEY, None)
        return data
