"""The thumbs up/down buttons under an AI-written answer (the ``message/submitAction`` invoke), recorded for the
caller against the message they rated."""

from __future__ import annotations

import json
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext

from bot.turns.caller import Callers
from domain.errors import DomainError
from domain.feedback import FeedbackService


class Feedback:
    def __init__(self, callers: Callers, feedback: FeedbackService) -> None:
        self._callers = callers
        self._service = feedback

    async def record(self, turn_context: TurnContext) -> InvokeResponse:
        """Feedback buttons: ``value = {actionName: "feedback", actionValue: {reaction, feedback: "<json>"}}``."""
        actor = await self._callers.resolve(turn_context)
        raw_value = turn_context.activity.value
        value: dict[str, Any] = raw_value if isinstance(raw_value, dict) else {}
        raw_action = value.get("actionValue")
        action: dict[str, Any] = raw_action if isinstance(raw_action, dict) else {}
        if actor is None or value.get("actionName") != "feedback":
            return InvokeResponse(status=400)
        comment = _feedback_text(action.get("feedback"))
        try:
            await self._service.record(
                actor, turn_context.activity.reply_to_id or "", str(action.get("reaction", "")), comment
            )
        except DomainError:
            return InvokeResponse(status=400)
        return InvokeResponse(status=200)


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
