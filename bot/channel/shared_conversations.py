"""Student data never lands in a shared conversation: the one rule every reply and card action passes through.

Everyone in a team channel, group chat or meeting chat sees what Faraday posts there (in a class team, students
too). So there, an answer is posted in the open only when it identifies no student:

- protocol and curriculum answers from the district's documents (``search_knowledge``), with their citations;
- lesson plans (``plan_lesson``: tied to a grade or class, never to a student), help, the forms menu and the lesson
  and event forms (the incident form lists the roster, so it is not open);
- class-level figures (``run_widget``) that name nobody, cover at least ``MIN_GROUP`` students (a figure over fewer
  could single someone out) and are not health information (fitness, safety risks, adaptations, incidents).

Everything else goes to the requester's 1:1 chat with Faraday, and the shared conversation gets one neutral line.
The lists below are allow-lists: a tool, widget, display type or card verb added later is private until it is
added here. Cards posted in the open carry a signed stamp of the person they were made for
(``CardOwners.stamp``); a press by anyone else is refused before any action runs.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from botbuilder.schema import Activity

from agent.loop import AgentReply
from domain.lessons import LessonPlanResult
from domain.widgets import WidgetResult
from tools.open_form import BlankForm

PERSONAL = "personal"
MIN_GROUP = 5  # no class-level figure over fewer students than this is posted in the open

SENT_PRIVATELY = "I've sent you the answer in our private chat."
NO_PRIVATE_CHAT = (
    "That answer is about a student, so I only give it in a private chat, and I couldn't open one with you. "
    "Open Faraday from **Apps** in Teams (or select my name and choose **Chat**), then ask me there."
)
NOT_YOUR_CARD = "This card was made for someone else, so I can't act on it for you. Ask me and I'll make you your own."

# What may be answered in the open (see the module's docstring). Allow-lists: anything new is private.
OPEN_TOOLS = frozenset({"search_knowledge", "plan_lesson", "run_widget", "open_form"})
OPEN_WIDGETS = frozenset({"attendance", "participation", "class_insights", "equipment", "skill_gaps",
                          "assessment_status", "drivers_ed_progress"})
OPEN_CARD_VERBS = frozenset({"forms", "lesson.form", "lesson.request", "lesson.save", "lesson.regenerate",
                             "lesson.adjust", "lesson.open"})
OPEN_FORMS = frozenset({None, "lesson", "event"})
_ACTION_TYPES = frozenset({"Action.Execute", "Action.Submit"})
STAMP_KEY = "_for"  # in a card action's data: whom the card was made for (signed)


def conversation_type(activity: Activity) -> str:
    """``personal``, ``groupChat`` (meeting chats too) or ``channel``. A conversation marked as a group is never
    taken for a 1:1 chat, whatever its type says."""
    conversation = activity.conversation
    kind = str(conversation.conversation_type or "") if conversation else ""
    if conversation is not None and conversation.is_group and kind in ("", PERSONAL):
        return "groupChat"
    return kind[:20] or PERSONAL


def is_shared(kind: str) -> bool:
    return kind != PERSONAL


def reply_is_open(reply: AgentReply) -> bool:
    """Whether an agent's answer identifies no student, so it may be posted where everyone sees it."""
    return all(call.name in OPEN_TOOLS for call in reply.tool_calls) and all(map(_open_item, reply.display))


def verb_is_open(data: dict[str, Any]) -> bool:
    """Whether a card action's outcome identifies no student (lesson plans and blank forms)."""
    return str(data.get("action")) in OPEN_CARD_VERBS


def _open_item(item: Any) -> bool:
    if isinstance(item, LessonPlanResult):
        return True
    if isinstance(item, BlankForm):
        return item.kind in OPEN_FORMS
    if isinstance(item, WidgetResult):
        return (item.widget in OPEN_WIDGETS and not item.student_names
                and (not item.student_ids or len(set(item.student_ids)) >= MIN_GROUP))
    return False


class CardOwners:
    """Signs the person a card was made for into every button of a card posted in a shared conversation."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, aad_object_id: str) -> str:
        return hmac.new(self._secret, aad_object_id.encode(), hashlib.sha256).hexdigest()[:32]

    def stamp(self, cards: Iterable[dict[str, Any]], aad_object_id: str) -> None:
        """Add the owner's stamp to the data of every Action.Execute / Action.Submit in the cards (in place)."""
        signature = self._sign(aad_object_id)
        for content in cards:
            for action in _actions(content):
                data = action.get("data")
                if not isinstance(data, dict):
                    data = action["data"] = {}
                data[STAMP_KEY] = signature

    def pressed_by_owner(self, data: dict[str, Any], aad_object_id: str) -> bool:
        """Whether the card whose button sent ``data`` was made for this person. Removes the stamp from ``data``."""
        stamp = data.pop(STAMP_KEY, None)
        return isinstance(stamp, str) and hmac.compare_digest(stamp, self._sign(aad_object_id))


def card_contents(activity: Activity) -> list[dict[str, Any]]:
    return [a["content"] for a in activity.attachments or []
            if isinstance(a, dict) and isinstance(a.get("content"), dict)]


def _actions(node: Any) -> Iterable[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") in _ACTION_TYPES:
            yield node
        for value in node.values():
            yield from _actions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _actions(value)
