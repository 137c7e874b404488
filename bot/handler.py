"""FaradayBot: the Teams activity handler. It de-duplicates messages and routes each activity type to the part of a
turn that handles it (bot/turns/): identity first, then the agent; every reply built from typed results."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.schema import (
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    ChannelAccount,
)

from agent.loop import Agent
from bot.actions import typeahead
from bot.channel.dedupe import Deduplicator
from bot.channel.file_consent import FileConsent
from bot.channel.streaming import INFORM_AFTER_S
from bot.commands.knowledge_upload import FileFetcher
from bot.turns.caller import Callers
from bot.turns.card_actions import CardActions
from bot.turns.feedback import Feedback
from bot.turns.messages import Messages
from bot.turns.placement import Placement
from bot.turns.welcome import Welcomer, welcome_once
from domain.actor import Actor
from domain.conversations import ConversationService
from domain.feedback import FeedbackService
from domain.identity import IdentityService
from domain.memory import ConversationMemory
from domain.turn_start import TurnStart
from tools.base import Services, ToolDeps

log = logging.getLogger(__name__)


class FaradayBot(ActivityHandler):
    def __init__(
        self,
        *,
        identity: IdentityService,
        turn_start: TurnStart,
        conversations: ConversationService,
        memory: ConversationMemory,
        feedback: FeedbackService,
        services: Services,
        agent: Agent,
        dedupe: Deduplicator,
        max_message_chars: int,
        informative_after_s: float = INFORM_AFTER_S,
        clock: Callable[[str], datetime] | None = None,
        file_fetcher: FileFetcher | None = None,
        app_id: str = "",
        card_secret: bytes | None = None,
        welcomed: Deduplicator | None = None,
        file_consent: FileConsent | None = None,
        prompt_starter_scopes: frozenset[str] = frozenset(),
    ) -> None:
        self._services = services
        self._dedupe = dedupe
        self._clock = clock or (lambda tz: datetime.now(ZoneInfo(tz)))
        self._file_consent = file_consent
        self._callers = Callers(identity=identity, turn_start=turn_start, conversations=conversations,
                                services=services)
        placement = Placement(conversations, app_id, card_secret)
        self._card_actions = CardActions(self._callers, placement, self._deps)
        self._messages = Messages(callers=self._callers, placement=placement, card_actions=self._card_actions,
                                  services=services, agent=agent, memory=memory, deps=self._deps,
                                  max_message_chars=max_message_chars, informative_after_s=informative_after_s,
                                  file_fetcher=file_fetcher)
        self._feedback = Feedback(self._callers, feedback)
        self._welcomer = Welcomer(self._callers, welcomed or welcome_once(None), prompt_starter_scopes)

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        # Messages are de-duplicated (Teams re-sends after 15 s). Invokes are not: they must always get their
        # response, and every card action is idempotent by its key.
        key = None
        if activity.id and activity.type == ActivityTypes.message:
            key = f"{activity.conversation.id}|{activity.id}"
            # The turn's first read (who is asking, their recent turns) runs while the claim is checked: two round
            # trips at once. A duplicate's read is discarded; it wrote nothing.
            start = self._callers.prefetch(activity)
            if not await self._dedupe.first_time(key):
                start.cancel()
                log.info("duplicate activity ignored", extra={"type": activity.type})
                return
            self._callers.keep(turn_context, start)
        try:
            await super().on_turn(turn_context)
        except BaseException:
            if key is not None:  # the turn failed (500): let Teams' re-send through instead of dropping it
                await self._dedupe.release(key)
            raise

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self._messages.handle(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        if turn_context.activity.name == "message/submitAction":
            return await self._feedback.record(turn_context)
        if turn_context.activity.name == "fileConsent/invoke" and self._file_consent is not None:  # an export
            return await self._file_consent.handle(turn_context, await self._callers.resolve(turn_context))
        if turn_context.activity.name == "application/search":  # typeahead of a Data.Query picker
            body = await typeahead.search(await self._callers.resolve(turn_context), self._services,
                                          turn_context.activity.value)
            return InvokeResponse(status=200, body=body)
        return await super().on_invoke_activity(turn_context)

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        return await self._card_actions.execute(turn_context, invoke_value)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id == bot_id for m in members_added):
            await self._welcomer.welcome(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcomer.welcome(turn_context)

    def _deps(self, actor: Actor) -> ToolDeps:
        return ToolDeps(actor=actor, services=self._services, now=self._clock(actor.time_zone))
