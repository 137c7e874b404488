"""Installing Faraday in a chat: the caller resolved (or linked) and the chat remembered, once per conversation; the
welcome text only where the manifest has no prompt starters."""

from __future__ import annotations

from botbuilder.core import TurnContext
from redis.asyncio import Redis

from bot.channel.dedupe import Deduplicator
from bot.channel.prompt_starters import has_prompt_starters
from bot.channel.shared_conversations import conversation_type
from bot.turns.caller import UNKNOWN_USER, Callers

WELCOME = (
    "Hi, I'm **Faraday**, your PE department's assistant. Ask me about a student in your classes "
    "(**show me Jamie**), report an incident, plan a lesson, check attendance or equipment, schedule an event, or "
    "ask about a safety protocol. "
    "Type **help** any time."
)

WELCOME_TTL_S = 366 * 24 * 3600  # a conversation is welcomed once a year at most (re-installs included)


def welcome_once(redis: Redis | None) -> Deduplicator:
    """Which conversations have been welcomed (Redis when there is one, else this process)."""
    return Deduplicator(redis, WELCOME_TTL_S, prefix="faraday:welcomed:")


class Welcomer:
    def __init__(self, callers: Callers, welcomed: Deduplicator, prompt_starter_scopes: frozenset[str]) -> None:
        self._callers = callers
        self._welcomed = welcomed
        self._prompt_starters = prompt_starter_scopes

    async def welcome(self, turn_context: TurnContext) -> None:
        """Once per conversation: installing the app in a chat sends both installationUpdate (add) and
        conversationUpdate (the bot in membersAdded), in either order, and either may be re-sent. The caller is
        resolved (or linked) and the chat remembered either way; the welcome text is sent only where the manifest
        has no prompt starters (Microsoft: a bot uses prompt starters or a welcome message, not both)."""
        conversation = turn_context.activity.conversation.id
        if not await self._welcomed.first_time(conversation):
            return
        try:
            actor = await self._callers.resolve(turn_context)
            if actor is None:  # e.g. installed for them by an admin (domain.teams_install) before they ever wrote
                actor = await self._callers.link(turn_context)
            if not has_prompt_starters(self._prompt_starters, conversation_type(turn_context.activity)):
                await turn_context.send_activity(WELCOME if actor else UNKNOWN_USER)
        except Exception:
            await self._welcomed.release(conversation)  # not shown: the next event or re-send welcomes
            raise
