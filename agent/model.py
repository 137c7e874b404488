"""What a model backend is: given the conversation and the tool schemas, reply with text or tool calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.actor import Actor
from domain.names import NameParts


class ModelUnavailable(Exception):
    """The model could not answer (rate limit, server error, timeout, malformed reply)."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, exactly as the model produced it


@dataclass(frozen=True, slots=True)
class ModelReply:
    content: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PlanningContext:
    """What a planner may know about the turn besides the messages (the OpenAI backend ignores it)."""

    actor: Actor
    now: datetime
    roster: Callable[[], Awaitable[list[NameParts]]]  # names to recognise in text (not an authorization list)


TextSink = Callable[[str], Awaitable[None]]  # receives the answer's text so far, as the model writes it


class ModelBackend(Protocol):
    name: str

    async def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        ctx: PlanningContext,
        on_text: TextSink | None = None,
    ) -> ModelReply: ...
