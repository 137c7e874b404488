"""FaradayBot: the Teams activity handler. Identity first, then the agent; every reply built from typed results."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from botbuilder.core import ActivityHandler, InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import (
    ActionTypes,
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    CardAction,
    ChannelAccount,
    SuggestedActions,
)
from redis.asyncio import Redis

from agent.loop import Agent, AgentReply
from bot import actions
from bot.actions import CardOutcome, typeahead
from bot.cards.elements import attachment
from bot.cards.export_ready import consent_attachments
from bot.cards.render import RenderContext, needs_roster, render
from bot.channel.activity_json import serialize
from bot.channel.ai_entities import ai_entity
from bot.channel.dedupe import Deduplicator
from bot.channel.file_consent import FileConsent
from bot.channel.policy import tenant_id
from bot.channel.private_chat import PrivateChat
from bot.channel.prompt_starters import has_prompt_starters
from bot.channel.shared_conversations import (
    NO_PRIVATE_CHAT,
    NOT_YOUR_CARD,
    SENT_PRIVATELY,
    STAMP_KEY,
    CardOwners,
    card_contents,
    conversation_type,
    is_shared,
    reply_is_open,
    verb_is_open,
)
from bot.channel.staff_link import link_caller
from bot.channel.streaming import INFORM_AFTER_S, TeamsStream
from bot.commands import text_command
from bot.commands.knowledge_upload import FileFetcher, sent_files, upload_reply
from bot.commands.roster_upload import roster_files, roster_upload_reply
from domain.actor import Actor
from domain.conversations import ConversationService
from domain.errors import DomainError
from domain.feedback import FeedbackService
from domain.identity import IdentityService
from domain.memory import ConversationMemory
from domain.turn_start import History, TurnStart
from tools.base import Services, ToolDeps

log = logging.getLogger(__name__)

UNKNOWN_USER = (
    "Sorry, I don't recognise your account, so I can't help with school data. "
    "Please ask your school's Faraday administrator to add you."
)
WELCOME = (
    "Hi, I'm **Faraday**, your PE department's assistant. Ask me about a student in your classes "
    "(**show me Jamie**), report an incident, plan a lesson, check attendance or equipment, schedule an event, or "
    "ask about a safety protocol. "
    "Type **help** any time."
)
CARD_RESPONSE = "application/vnd.microsoft.card.adaptive"
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
TOO_LONG = "That message is too long for me ({length:,} characters). Please keep it under {limit:,} characters."
EMPTY = "I didn't catch a question. Type **help** to see what I can do."
WORKING = "Working on it…"
FAILED = "Sorry, something went wrong on my side and nothing was saved. Please try again."


WELCOME_TTL_S = 366 * 24 * 3600  # a conversation is welcomed once a year at most (re-installs included)


def welcome_once(redis: Redis | None) -> Deduplicator:
    """Which conversations have been welcomed (Redis when there is one, else this process)."""
    return Deduplicator(redis, WELCOME_TTL_S, prefix="faraday:welcomed:")


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
        self._identity = identity
        self._turn_start = turn_start
        self._conversations = conversations
        self._memory = memory
        self._feedback_service = feedback
        self._services = services
        self._agent = agent
        self._dedupe = dedupe
        self._max_chars = max_message_chars
        self._inform_after_s = informative_after_s
        self._clock = clock or (lambda tz: datetime.now(ZoneInfo(tz)))
        self._fetcher = file_fetcher
        self._private = PrivateChat(conversations, app_id)
        self._owners = CardOwners(card_secret or os.urandom(32))
        self._welcomed = welcomed or welcome_once(None)
        self._file_consent = file_consent
        self._prompt_starters = prompt_starter_scopes

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        # Messages are de-duplicated (Teams re-sends after 15 s). Invokes are not: they must always get their
        # response, and every card action is idempotent by its key.
        key = None
        if activity.id and activity.type == ActivityTypes.message:
            key = f"{activity.conversation.id}|{activity.id}"
            # The turn's first read (who is asking, their recent turns) runs while the claim is checked: two round
            # trips at once. A duplicate's read is discarded; it wrote nothing.
            start = asyncio.ensure_future(self._turn_start.load(
                tenant_id(activity), _aad_object_id(activity), activity.conversation.id))
            start.add_done_callback(_retrieve)
            if not await self._dedupe.first_time(key):
                start.cancel()
                log.info("duplicate activity ignored", extra={"type": activity.type})
                return
            turn_context.turn_state[_TURN_START] = start
        try:
            await super().on_turn(turn_context)
        except BaseException:
            if key is not None:  # the turn failed (500): let Teams' re-send through instead of dropping it
                await self._dedupe.release(key)
            raise

    # --- messages ------------------------------------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        actor, history = await self._actor_and_history(turn_context)  # one statement: who, and what they said
        if actor is None:
            await turn_context.send_activity(UNKNOWN_USER)
            return
        files = sent_files(turn_context.activity)
        if files and self._fetcher is not None and self._services.roster_uploads is not None \
                and roster_files(files):  # an admin sending a roster export
            outcome = await roster_upload_reply(files, actor, self._services.roster_uploads, self._fetcher)
            await self._send(turn_context, actor, outcome_activity(outcome), open_=False)
            return
        if files and self._fetcher is not None and self._services.uploads is not None:  # an admin adding a document
            outcome = await upload_reply(files, actor, self._services.uploads, self._fetcher)
            await self._send(turn_context, actor, outcome_activity(outcome), open_=False)
            return
        text = _message_text(turn_context)
        value = turn_context.activity.value
        if not text and isinstance(value, dict):  # a card's Action.Submit
            data = self._card_data(value, actor)
            if data is None:
                await turn_context.send_activity(NOT_YOUR_CARD)
                return
            outcome = await actions.handle(data, self._deps(actor))
            await self._send(turn_context, actor, outcome_activity(outcome), open_=verb_is_open(data))
            return
        if len(text) > self._max_chars:
            await turn_context.send_activity(TOO_LONG.format(length=len(text), limit=self._max_chars))
            return
        if not text:
            await turn_context.send_activity(EMPTY)
            return
        answer = await text_command(text, actor, self._services)
        if answer is not None:
            if answer.open_text is not None:  # help names nobody: posted where it was asked
                await turn_context.send_activity(answer.open_text)
            else:
                await self._send(turn_context, actor, outcome_activity(answer.outcome), open_=False)
            return
        conversation = turn_context.activity.conversation
        personal = not is_shared(actor.conversation_type)
        stream = TeamsStream(turn_context, enabled=personal, inform_after_s=self._inform_after_s)
        stream.inform_soon(WORKING)
        try:
            try:
                reply = await self._agent.run(text, self._deps(actor), history, on_text=stream.update)
            except DomainError as exc:
                await stream.finish(await self._placed(turn_context, actor, MessageFactory.text(str(exc)), open_=False))
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
                await stream.finish(await self._placed(turn_context, actor, final, open_=open_))
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
            await self._memory.remember(conversation_id, staff_id, text, reply.text, reply.student_ids)
        except Exception as exc:
            log.warning("conversation memory not saved", extra={"error": type(exc).__name__})

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        if turn_context.activity.name == "message/submitAction":
            return await self._feedback(turn_context)
        if turn_context.activity.name == "fileConsent/invoke" and self._file_consent is not None:  # an export
            return await self._file_consent.handle(turn_context, await self._actor(turn_context))
        if turn_context.activity.name == "application/search":  # typeahead of a Data.Query picker
            body = await typeahead.search(await self._actor(turn_context), self._services, turn_context.activity.value)
            return InvokeResponse(status=200, body=body)
        return await super().on_invoke_activity(turn_context)

    async def _feedback(self, turn_context: TurnContext) -> InvokeResponse:
        """Feedback buttons: ``value = {actionName: "feedback", actionValue: {reaction, feedback: "<json>"}}``."""
        actor = await self._actor(turn_context)
        raw_value = turn_context.activity.value
        value: dict[str, Any] = raw_value if isinstance(raw_value, dict) else {}
        raw_action = value.get("actionValue")
        action: dict[str, Any] = raw_action if isinstance(raw_action, dict) else {}
        if actor is None or value.get("actionName") != "feedback":
            return InvokeResponse(status=400)
        comment = _feedback_text(action.get("feedback"))
        try:
            await self._feedback_service.record(
                actor, turn_context.activity.reply_to_id or "", str(action.get("reaction", "")), comment
            )
        except DomainError:
            return InvokeResponse(status=400)
        return InvokeResponse(status=200)

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        """Action.Execute (universal actions): the outcome's card replaces the pressed card in place."""
        actor = await self._actor(turn_context)
        if actor is None:
            return message_response(UNKNOWN_USER)
        action = invoke_value.action or {}
        raw = action.get("data")
        data = self._card_data(raw if isinstance(raw, dict) else {}, actor)
        if data is None:  # the card was made for someone else: nothing runs, the card stays as it is
            return message_response(NOT_YOUR_CARD)
        data.setdefault("action", action.get("verb"))
        outcome = await actions.handle(data, self._deps(actor))
        if is_shared(actor.conversation_type) and not verb_is_open(data):
            # the pressed card stays as it is for everyone; the outcome goes to the presser's private chat
            delivered = await self._private.deliver(turn_context, actor, [outcome_activity(outcome)])
            return message_response(SENT_PRIVATELY if delivered else NO_PRIVATE_CHAT)
        card = outcome.replacement_card()
        if is_shared(actor.conversation_type):
            self._owners.stamp([card], actor.aad_object_id)
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD_RESPONSE, value=card)

    # --- install and welcome ---------------------------------------------------------------------------------------
    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id == bot_id for m in members_added):
            await self._welcome(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome(turn_context)

    async def _welcome(self, turn_context: TurnContext) -> None:
        """Once per conversation: installing the app in a chat sends both installationUpdate (add) and
        conversationUpdate (the bot in membersAdded), in either order, and either may be re-sent. The caller is
        resolved (or linked) and the chat remembered either way; the welcome text is sent only where the manifest
        has no prompt starters (Microsoft: a bot uses prompt starters or a welcome message, not both)."""
        conversation = turn_context.activity.conversation.id
        if not await self._welcomed.first_time(conversation):
            return
        try:
            actor = await self._actor(turn_context)
            if actor is None:  # e.g. installed for them by an admin (domain.teams_install) before they ever wrote
                actor = await self._known(await link_caller(turn_context, self._services.staff_links),
                                          turn_context.activity)
            if not has_prompt_starters(self._prompt_starters, conversation_type(turn_context.activity)):
                await turn_context.send_activity(WELCOME if actor else UNKNOWN_USER)
        except Exception:
            await self._welcomed.release(conversation)  # not shown: the next event or re-send welcomes
            raise

    # --- helpers ---------------------------------------------------------------------------------------------------
    async def _actor(self, turn_context: TurnContext) -> Actor | None:
        """Resolve the caller from the server-side identity; remember where to reach them."""
        activity = turn_context.activity
        actor = await self._identity.resolve(tenant_id(activity), _aad_object_id(activity))
        return await self._known(actor, activity)

    async def _actor_and_history(self, turn_context: TurnContext) -> tuple[Actor | None, History]:
        """``_actor`` and the caller's recent turns in this conversation, in one database statement."""
        activity = turn_context.activity
        started = turn_context.turn_state.pop(_TURN_START, None)  # begun by on_turn alongside de-duplication
        if started is not None:
            actor, history = await started
        else:
            actor, history = await self._turn_start.load(tenant_id(activity), _aad_object_id(activity),
                                                         activity.conversation.id)
        if actor is None:  # staff imported from a roster: bound by their Teams member record on first contact
            actor = await link_caller(turn_context, self._services.staff_links)
        return await self._known(actor, activity), history

    async def _known(self, actor: Actor | None, activity: Activity) -> Actor | None:
        if actor is None:
            log.info("unknown user refused", extra={"activity_type": activity.type})
            return None
        reference = serialize(TurnContext.get_conversation_reference(activity))
        await self._conversations.remember(actor, reference)
        return replace(actor, conversation_type=conversation_type(activity))  # kept on every audit row

    # --- where a reply goes (bot.channel.shared_conversations) --------------------------------------------------------
    async def _send(self, turn_context: TurnContext, actor: Actor, activity: Activity, *, open_: bool) -> None:
        await turn_context.send_activity(await self._placed(turn_context, actor, activity, open_=open_))

    async def _placed(self, turn_context: TurnContext, actor: Actor, activity: Activity, *, open_: bool) -> Activity:
        """What to post in the turn's conversation. In a shared one, an answer that is not open goes to the actor's
        private chat and a neutral line is posted instead; an open one carries its owner's stamp on every button."""
        if not is_shared(actor.conversation_type):
            return activity
        if open_:
            self._owners.stamp(card_contents(activity), actor.aad_object_id)
            return activity
        delivered = await self._private.deliver(turn_context, actor, [activity])
        return MessageFactory.text(SENT_PRIVATELY if delivered else NO_PRIVATE_CHAT)

    def _card_data(self, raw: dict[str, Any], actor: Actor) -> dict[str, Any] | None:
        """A card action's data without the owner's stamp; None when, in a shared conversation, the card was made
        for someone else (or carries no stamp: every card Faraday posts there has one)."""
        data = dict(raw)
        if is_shared(actor.conversation_type):
            return data if self._owners.pressed_by_owner(data, actor.aad_object_id) else None
        data.pop(STAMP_KEY, None)
        return data

    def _deps(self, actor: Actor) -> ToolDeps:
        return ToolDeps(actor=actor, services=self._services, now=self._clock(actor.time_zone))


    async def _reply_activity(self, reply: AgentReply, actor: Actor) -> Activity:
        roster = await self._services.students.roster(actor) if any(map(needs_roster, reply.display)) else []
        activity = reply_activity(reply, RenderContext(roster=roster, forms=actions.available_forms(),
                                                       time_zone=actor.time_zone))
        if not is_shared(actor.conversation_type):  # Teams shows suggested actions in 1:1 chats only
            activity.suggested_actions = follow_ups(reply)
        return activity


class _MessageInvokeResponse(AdaptiveCardInvokeResponse):
    """A universal action's answer as a message (Teams shows it to the presser; the card stays as it is). Its value
    is a string, which botbuilder's model (typed as an object) would refuse to serialize."""

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {**AdaptiveCardInvokeResponse._attribute_map,
                                                           "value": {"key": "value", "type": "str"}}


def message_response(text: str) -> AdaptiveCardInvokeResponse:
    return _MessageInvokeResponse(status_code=200, type=MESSAGE_RESPONSE, value=text)


def outcome_activity(outcome: CardOutcome) -> Activity:
    activity = MessageFactory.text(outcome.text or "")
    if outcome.cards or outcome.attachments:
        activity.attachments = [attachment(c) for c in outcome.cards] + list(outcome.attachments)
    return activity


# After a safety protocol answer: the two things a teacher most often does next (each sends its text as the user's
# message: "log incident" opens the incident form, "notify nurse" the nurse's confirmation card).
PROTOCOL_FOLLOW_UPS = (("Log incident", "log incident"), ("Notify nurse", "notify nurse"))


def follow_ups(reply: AgentReply) -> SuggestedActions | None:
    """Suggested actions for an answer: after a safety protocol search, *Log incident* and *Notify nurse* (unless
    the turn already proposed the incident, then only *Notify nurse*)."""
    searched = proposed = False
    for call in reply.tool_calls:
        if call.name == "log_incident":
            proposed = True
        if call.name == "search_knowledge":
            try:
                kind = json.loads(call.arguments or "{}").get("kind")
            except (ValueError, AttributeError):
                kind = None
            searched = searched or kind in (None, "safety")
    if not searched:
        return None
    actions_ = [CardAction(type=ActionTypes.im_back, title=title, value=value) for title, value in PROTOCOL_FOLLOW_UPS
                if not (proposed and value == "log incident")]
    return SuggestedActions(actions=actions_)


def reply_activity(reply: AgentReply, ctx: RenderContext | None = None) -> Activity:
    attachments = [a for a in (render(item, ctx) for item in reply.display) if a is not None]
    attachments += consent_attachments(reply.display)  # an export's OneDrive offer, after its link card
    activity = MessageFactory.text(reply.text)
    activity.text_format = "markdown"
    if attachments:
        activity.attachments = attachments
    if reply.model_written:
        activity.entities = [ai_entity(reply.text, reply.citations)]
        activity.channel_data = {"feedbackLoopEnabled": True}
    return activity


def _feedback_text(raw: object) -> str | None:
    """Teams sends the comment as a JSON string ``{"feedbackText": "..."}``; anything else is ignored."""
    if not isinstance(raw, str):
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    text = parsed.get("feedbackText") if isinstance(parsed, dict) else None
    return text if isinstance(text, str) else None


def _message_text(turn_context: TurnContext) -> str:
    activity = turn_context.activity
    if activity.entities:
        TurnContext.remove_recipient_mention(activity)
    return (activity.text or "").strip()


_TURN_START = "faraday.turn_start"  # turn_state key: the task reading the caller and their history


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a discarded task's outcome as seen (no "exception was never retrieved" noise for a duplicate)."""
    if not task.cancelled():
        task.exception()


def _aad_object_id(activity: Activity) -> str | None:
    return activity.from_property.aad_object_id if activity.from_property else None
