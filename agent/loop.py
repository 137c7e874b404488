"""The agent loop: named steps, a step cap, a deadline, parallel tool calls, tool errors as model-readable text."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from agent.model import ModelBackend, ModelReply, ModelUnavailable, PlanningContext, TextSink, ToolCall
from agent.prompt import CANARY, system_prompt
from tools.base import Citation, Tool, ToolDeps, ToolResult
from tools.offer import first_step_tools
from tools.registry import follow_up_tools

log = logging.getLogger(__name__)

MAX_TOOL_CALLS_PER_TURN = 8
UNAVAILABLE = "I can't reach my language model right now, so I can't answer that. Please try again in a minute."
# The offline planner past the turn's deadline is still loading its local models (the first turns after a start):
# say so, not that a language model is unreachable, and never leave someone with an emergency waiting on it.
NOT_READY = ("I'm still starting up and can't answer that yet. Please try again in a minute. "
             "In an emergency, call 911 first.")
OUT_OF_STEPS = "That took more steps than I allow for one message. Here is what I found so far."
OFFLINE = "offline"  # the offline planner's backend name
FALLBACK_RESERVE_S = 2.0  # of the turn deadline, kept for the offline planner when the model fails or stalls


@dataclass(slots=True)
class AgentReply:
    text: str
    display: list[Any] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    student_ids: list[int] = field(default_factory=list)
    model_written: bool = True
    backend: str = ""


@dataclass
class Agent:
    backend: ModelBackend
    tools: dict[str, Tool[Any]]
    max_steps: int = 5
    deadline_s: float = 12.0
    fallback: ModelBackend | None = None  # the offline planner, when the model fails before any tool ran
    _specs: list[dict[str, Any]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self._specs = [t.openai_spec() for t in self.tools.values()]

    async def run(
        self,
        user_text: str,
        deps: ToolDeps,
        history: list[dict[str, str]] | None = None,
        on_text: TextSink | None = None,
    ) -> AgentReply:
        ctx = PlanningContext(actor=deps.actor, now=deps.now,
                              roster=lambda: deps.services.students.parsing_names(deps.actor))
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system_prompt(deps.actor, deps.now)},
            *(history or []),
            {"role": "user", "content": user_text},
        ]
        reply = AgentReply(text="", backend=self.backend.name)
        deadline = time.monotonic() + self.deadline_s
        backend = self.backend
        first_step = self._first_step(backend, user_text, history)
        for _step in range(self.max_steps):
            if reply.tool_calls:
                specs = self._offered({c.name for c in reply.tool_calls})
            else:
                specs = first_step if backend is self.backend else self._specs
            try:
                model_reply = await self._think(backend, messages, ctx, deadline, on_text, specs,
                                                reserve=not reply.tool_calls)
            except ModelUnavailable:
                if self.fallback is not None and not reply.tool_calls and backend is not self.fallback:
                    log.info("model unavailable; falling back to the offline planner")
                    backend, reply.backend = self.fallback, self.fallback.name
                    continue
                reply.text = OUT_OF_STEPS if reply.display else NOT_READY if backend.name == OFFLINE else UNAVAILABLE
                reply.model_written = False
                return reply
            if not model_reply.tool_calls:
                reply.text = _withhold_canary(model_reply.content or "")
                reply.citations = list(deps.citations.items)
                return reply
            messages.append(_assistant_message(model_reply))
            calls = model_reply.tool_calls[: max(0, MAX_TOOL_CALLS_PER_TURN - len(reply.tool_calls))]
            if not calls or _repeats(reply.tool_calls, calls):
                break
            results = await asyncio.gather(*(self._act(call, deps) for call in calls))
            for call, result in zip(calls, results, strict=True):
                reply.tool_calls.append(call)
                reply.display.extend(result.display)
                reply.student_ids.extend(result.student_ids)
                messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result.for_model, default=str)}
                )
            for call in model_reply.tool_calls[len(calls) :]:  # over the cap: answer every id, run none
                messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"error": "tool-call cap"}'})
        reply.text = OUT_OF_STEPS
        reply.model_written = False
        return reply

    async def _think(
        self,
        backend: ModelBackend,
        messages: list[dict[str, Any]],
        ctx: PlanningContext,
        deadline: float,
        on_text: TextSink | None,
        specs: list[dict[str, Any]],
        *,
        reserve: bool = False,
    ) -> ModelReply:
        remaining = deadline - time.monotonic()
        if reserve and self.fallback is not None and backend is not self.fallback:
            remaining -= min(FALLBACK_RESERVE_S, self.deadline_s / 4)  # the model may not spend the fallback's time
        if remaining <= 0:
            raise ModelUnavailable("turn deadline passed")
        try:
            return await asyncio.wait_for(backend.complete(messages, specs, ctx, on_text), remaining)
        except TimeoutError as exc:
            raise ModelUnavailable("turn deadline passed") from exc

    def _first_step(self, backend: ModelBackend, user_text: str, history: list[dict[str, str]] | None
                    ) -> list[dict[str, Any]]:
        """The schemas a model is offered on the first step: the tools the message can need (``tools.offer``). The
        offline planner plans without tokens, so it is offered every tool."""
        if backend.name == OFFLINE:
            return self._specs
        previous = next((str(m.get("content") or "") for m in reversed(history or []) if m.get("role") == "user"), "")
        names = first_step_tools([user_text, previous], self.tools)
        return [spec for spec in self._specs if spec["function"]["name"] in names] or self._specs

    def _offered(self, called: set[str]) -> list[dict[str, Any]]:
        """The schemas offered after tools ran this turn: what can follow them (``tools.registry.follow_up_tools``)."""
        names = follow_up_tools(called)
        return [spec for spec in self._specs if spec["function"]["name"] in names] or self._specs

    async def _act(self, call: ToolCall, deps: ToolDeps) -> ToolResult:
        tool = self.tools.get(call.name)
        if tool is None:
            return ToolResult.error(f"Unknown tool {call.name!r}. Available: {', '.join(self.tools)}.")
        try:
            return await tool(call.arguments, deps)
        except Exception:  # a bug in a tool must not end the turn or leak a stack trace
            log.exception("tool failed", extra={"tool": call.name})
            return ToolResult.error(f"{call.name} failed unexpectedly; tell the user to try again later.")


def _assistant_message(reply: ModelReply) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": reply.content,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in reply.tool_calls
        ],
    }


def _repeats(done: list[ToolCall], new: list[ToolCall]) -> bool:
    """A model asking for exactly the calls it already made is looping."""
    seen = {(c.name, c.arguments) for c in done}
    return all((c.name, c.arguments) in seen for c in new)


def _withhold_canary(text: str) -> str:
    if CANARY in text:
        log.warning("reply withheld: it contained the system-prompt canary")
        return "Sorry, I can't share that."
    return text
