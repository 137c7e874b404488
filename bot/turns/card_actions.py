"""A card's button pressed: Action.Submit (arrives as a message whose value is the button's data) and Action.Execute
(universal actions, an adaptive card invoke whose outcome card replaces the pressed one). Both run the verb in
bot.actions; in a shared conversation only for the person the card was made for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from botbuilder.core import TurnContext
from botbuilder.schema import AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue

from bot import actions
from bot.channel.shared_conversations import NO_PRIVATE_CHAT, NOT_YOUR_CARD, SENT_PRIVATELY, is_shared, verb_is_open
from bot.turns.caller import UNKNOWN_USER, Callers
from bot.turns.placement import Placement
from bot.turns.replies import outcome_activity
from domain.actor import Actor
from tools.base import ToolDeps

CARD_RESPONSE = "application/vnd.microsoft.card.adaptive"
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"


class CardActions:
    def __init__(self, callers: Callers, placement: Placement, deps: Callable[[Actor], ToolDeps]) -> None:
        self._callers = callers
        self._placement = placement
        self._deps = deps

    async def submit(self, turn_context: TurnContext, actor: Actor, value: dict[str, Any]) -> None:
        """Action.Submit: the outcome is posted like any answer (privately in a shared conversation unless open)."""
        data = self._placement.card_data(value, actor)
        if data is None:
            await turn_context.send_activity(NOT_YOUR_CARD)
            return
        outcome = await actions.handle(data, self._deps(actor))
        await self._placement.send(turn_context, actor, outcome_activity(outcome), open_=verb_is_open(data))

    async def execute(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        """Action.Execute (universal actions): the outcome's card replaces the pressed card in place."""
        actor = await self._callers.resolve(turn_context)
        if actor is None:
            return message_response(UNKNOWN_USER)
        action = invoke_value.action or {}
        raw = action.get("data")
        data = self._placement.card_data(raw if isinstance(raw, dict) else {}, actor)
        if data is None:  # the card was made for someone else: nothing runs, the card stays as it is
            return message_response(NOT_YOUR_CARD)
        data.setdefault("action", action.get("verb"))
        outcome = await actions.handle(data, self._deps(actor))
        if is_shared(actor.conversation_type) and not verb_is_open(data):
            # the pressed card stays as it is for everyone; the outcome goes to the presser's private chat
            delivered = await self._placement.deliver_privately(turn_context, actor, outcome_activity(outcome))
            return message_response(SENT_PRIVATELY if delivered else NO_PRIVATE_CHAT)
        card = outcome.replacement_card()
        if is_shared(actor.conversation_type):
            self._placement.stamp(card, actor)
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD_RESPONSE, value=card)


class _MessageInvokeResponse(AdaptiveCardInvokeResponse):
    """A universal action's answer as a message (Teams shows it to the presser; the card stays as it is). Its value
    is a string, which botbuilder's model (typed as an object) would refuse to serialize."""

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {**AdaptiveCardInvokeResponse._attribute_map,
                                                           "value": {"key": "value", "type": "str"}}


def message_response(text: str) -> AdaptiveCardInvokeResponse:
    return _MessageInvokeResponse(status_code=200, type=MESSAGE_RESPONSE, value=text)
