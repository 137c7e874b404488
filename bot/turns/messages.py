"""A message from the caller: a sent file (a roster export or a document from an admin), a card's Action.Submit, a
text command, or a question for the agent, streamed in a 1:1 chat and remembered with the conversation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity

from agent.loop import Agent, AgentReply
from bot import actions
from bot.cards.render import RenderContext, needs_roster
from bot.channel.shared_conversations import SENT_PRIVATELY, is_shared, reply_is_open
from bot.channel.streaming import TeamsStream
from bot.commands import text_command
from bot.commands.knowledge_upload import FileFetcher, sent_files, upload_reply
from bot.commands.roster_upload import roster_files, roster_upload_reply
from bot.turns.caller import UNKNOWN_USER, Callers
from bot.turns.card_actions import CardActions
from bot.turns.placement import Placement
from bot.turns.replies import follow_ups, outcome_activity, reply_activity
from domain.actor import Actor
from domain.errors import DomainError
from domain.memory import ConversationMemory
from tools.base import Services, ToolDeps

log = logging.getLogger(__name__)

TOO_LONG = "That message is too long for me ({length:,} characters). Please keep it under {limit:,} characters."
EMPTY = "I didn't catch a question. Type **help** to see what I can do."
WORKING = "Working on it…"
FAILED = "Sorry, something went wrong on my side and nothing was saved. Please try again."


@dataclass(frozen=True, kw_only=True)
class Messages:
    callers: Callers
    placement: Placement
    card_actions: CardActions
    services: Services
    agent: Agent
    memory: ConversationMemory
    deps: Callable[[Actor], ToolDeps]
    max_message_chars: int
    informative_after_s: float
    file_fetcher: FileFetcher | None

    async def handle(self, turn_context: TurnContext) -> None:
        actor, history = await self.callers.resolve_with_history(turn_context)  # one statement: who, and what said
        if actor is None:
            await turn_context.send_activity(UNKNOWN_USER)
            return
        files = sent_files(turn_context.activity)
        if files and self.file_fetcher is not None and self.services.roster_uploads is not None \
                and roster_files(files):  # an admin sending a roster export
            outcome = await roster_upload_reply(files, actor, self.services.roster_uploads, self.file_fetcher)
            await self.placement.send(turn_context, actor, outcome_activity(outcome), open_=False)
            return
        if files and self.file_fetcher is not None and self.services.uploads is not None:  # an admin adding a document
            outcome = await upload_reply(files, actor, self.services.uploads, self.file_fetcher)
            await self.placement.send(turn_context, actor, outcome_activity(outcome), open_=False)
            return
        text = _message_text(turn_context)
        value = turn_context.activity.value
        if not text and isinstance(value, dict):  # a card's Action.Submit
            await self.card_actions.submit(turn_context, actor, value)
            return
        if len(text) > self.max_message_chars:
            await turn_context.send_activity(TOO_LONG.format(length=len(text), limit=self.max_message_chars))
            return
        if not text:
            await turn_context.send_activity(EMPTY)
            return
        answer = await text_command(text, actor, self.services)
        if answer is not None:
            if answer.open_text is not None:  # help names nobody: posted where it was asked
                await turn_context.send_activity(answer.open_text)
            else:
                await self.placement.send(turn_context, actor, outcome_activity(answer.outcome), open_=False)
            return
        conversation = turn_context.activity.conversation
        personal = not is_shared(actor.conversation_type)
        stream = TeamsStream(turn_context, enabled=personal, inform_after_s=self.informative_after_s)
        stream.inform_soon(WORKING)
        try:
            try:
                reply = await self.agent.run(text, self.deps(actor), history, on_text=stream.update)
            except DomainError as exc:
                await stream.finish(await self.placement.placed(turn_context, actor, MessageFactory.text(str(exc)),
                                                                 open_=False))
                return
            final = await self._reply_activity(reply, actor)
            open_ = not personal and reply_is_open(reply)
            if not personal and not open_:  # the shared conversation's memory keeps only what was posted there
                reply = AgentReply(text=SENT_PRIVATELY, backend=reply.backend)
            # The memory write runs while the reply is on its way (one round trip off the turn). If the reply then
            # fails, the history keeps an answer the user did not see (Teams' re-send is answered with it in
            # context); nothing else is written.
            remembering = asyncio.create_task(self._remember(conversation.id, actor.staff_id, text, reply))
            try:
                await stream.finish(await self.placement.placed(turn_context, actor, final, open_=open_))
            finally:
                await remembering
        except Exception as exc:
            if not stream.shown:
                raise  # nothing shown yet: a 500, and Teams re-sends the message
            # the user saw "Working on it…": close it with a sentence, not silence
            log.exception("turn failed after the first visible response", extra={"error": type(exc).__name__})
            try:
                await stream.finish(MessageFactory.text(FAILED))
            except Exception:
                raise exc from None  # could not tell the user: a 500, and Teams re-sends
            return
        finally:
            stream.discard()

    async def _remember(self, conversation_id: str, staff_id: int, text: str, reply: AgentReply) -> None:
        try:  # failing to remember the answer must not fail the turn (Teams would re-send it)
            await self.memory.remember(conversation_id, staff_id, text, reply.text, reply.student_ids)
        except Exception as exc:
            log.warning("conversation memory not saved", extra={"error": type(exc).__name__})

    async def _reply_activity(self, reply: AgentReply, actor: Actor) -> Activity:
        roster = await self.services.students.roster(actor) if any(map(needs_roster, reply.display)) else []
        activity = reply_activity(reply, RenderContext(roster=roster, forms=actions.available_forms(),
                                                       time_zone=actor.time_zone))
        if not is_shared(actor.conversation_type):  # Teams shows suggested actions in 1:1 chats only
            activity.suggested_actions = follow_ups(reply)
        return activity


def _message_text(turn_context: TurnContext) -> str:
    activity = turn_context.activity
    if activity.entities:
        TurnContext.remove_recipient_mention(activity)
    return (activity.text or "").strip()
