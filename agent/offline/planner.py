"""OfflinePlanner: a ModelBackend that plans tool calls with rules and answers from tool results."""

from __future__ import annotations

import json
from typing import Any

from agent.model import ModelReply, PlanningContext, TextSink, ToolCall
from agent.offline import answers
from agent.offline.intent import Intent
from agent.offline.intents import plan
from agent.offline.situations import NeedsVector, Vectors
from domain.names import NameParts
from knowledge.embedders import encode_cached_off_loop, on_encoder_thread

KNOWN_TOOLS = {"lookup_student", "log_incident", "plan_lesson", "run_widget", "schedule_event", "search_knowledge",
               "open_form", "take_attendance", "record_fitness", "record_skills", "check_equipment",
               "message_home", "export_data", "read_calendar"}

FIXED_REPLIES = {
    "greeting": answers.GREETING_TEXT,
    "thanks": answers.THANKS_TEXT,
    "help": answers.HELP_TEXT,
    "out_of_scope": answers.OUT_OF_SCOPE_TEXT,
    "unknown": answers.UNKNOWN_TEXT,
}
ANSWERS = answers.BY_TOOL


class OfflinePlanner:
    name = "offline"

    async def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        ctx: PlanningContext,
        on_text: TextSink | None = None,  # replies are instant: nothing to stream
    ) -> ModelReply:
        last = messages[-1]
        if last["role"] == "tool":
            return ModelReply(content=_answer_from_tools(messages))
        text = str(last.get("content") or "")
        intents = await _plan(text, await ctx.roster(), ctx)
        available = {t["function"]["name"] for t in tools}
        calls = [ToolCall(id=f"call_offline_{n}", name=i.name, arguments=json.dumps(i.arguments))
                 for n, i in enumerate((i for i in intents if i.name in available), start=1)]
        if calls:
            return ModelReply(content=None, tool_calls=calls)
        intent = intents[0]
        if intent.name in KNOWN_TOOLS:  # a tool this deployment does not have (yet)
            return ModelReply(content=answers.UNKNOWN_TEXT)
        if intent.name == "clarify":
            return ModelReply(content=intent.question)
        return ModelReply(content=FIXED_REPLIES.get(intent.name, answers.UNKNOWN_TEXT))


MAX_EMBEDDINGS = 4  # the message, the message without a student's name, the two halves of a two-request message


async def _plan(text: str, roster: list[NameParts], ctx: PlanningContext) -> list[Intent]:
    """Plan with the rules; embed (MiniLM, off the event loop) only the texts a rule asks about, then plan again.
    A look-up, a widget or a lesson request never waits for the encoder. A message that asks about more texts (a long
    one split at each "and") is planned whole on the encoder's thread, which embeds the rest as the rules ask."""
    known: dict[str, Any] = {}
    for _ in range(MAX_EMBEDDINGS):
        try:
            return plan(text, roster, ctx.now, Vectors(known, defer=True))
        except NeedsVector as need:
            [known[need.text]] = await encode_cached_off_loop([need.text])
    return await on_encoder_thread(plan, text, roster, ctx.now, Vectors(known))


def _answer_from_tools(messages: list[dict[str, Any]]) -> str:
    """Answer from the tool results of the last assistant step."""
    calls: dict[str, str] = {}
    for m in reversed(messages):
        if m["role"] == "assistant":
            calls = {c["id"]: c["function"]["name"] for c in m.get("tool_calls", [])}
            break
    texts = []
    for m in messages:
        if m["role"] == "tool" and m["tool_call_id"] in calls:
            name = calls[m["tool_call_id"]]
            compose = ANSWERS.get(name, answers.generic_answer)
            texts.append((name != "search_knowledge", compose(json.loads(m["content"]))))  # the protocol first
    texts.sort(key=lambda t: t[0])
    return "\n\n".join(t for _, t in texts) or answers.UNKNOWN_TEXT
