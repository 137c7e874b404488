"""The activities a turn posts, built from typed results: an agent's answer (rendered cards, an export's OneDrive
offer, the AI label with citations, the feedback buttons), a card verb's outcome, and the suggested follow-ups after a
safety protocol answer."""

from __future__ import annotations

import json

from botbuilder.core import MessageFactory
from botbuilder.schema import ActionTypes, Activity, CardAction, SuggestedActions

from agent.loop import AgentReply
from bot.actions import CardOutcome
from bot.cards.elements import attachment
from bot.cards.export_ready import consent_attachments
from bot.cards.render import RenderContext, render
from bot.channel.ai_entities import ai_entity
from domain.incidents import IncidentProposal


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
    the turn already shows the incident's card, then only *Notify nurse*: a report the card could not be drafted for —
    "which Morgan?" — still gets the button)."""
    searched = False
    proposed = any(isinstance(item, IncidentProposal) for item in reply.display)
    for call in reply.tool_calls:
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
