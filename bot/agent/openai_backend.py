"""Chat Completions with tools through the openai SDK: OpenAI, Azure OpenAI and compatible servers."""

from __future__ import annotations

import logging
from typing import Any

import openai

from bot.agent.model import ModelReply, ModelUnavailable, PlanningContext, ToolCall

log = logging.getLogger(__name__)


class OpenAIBackend:
    name = "openai"

    def __init__(
        self, *, api_key: str, model: str, base_url: str | None = None, timeout_s: float = 10.0, max_retries: int = 1
    ) -> None:
        # Defaults would be a 600 s timeout and 2 retries honouring Retry-After up to 120 s: far past Teams' 15 s.
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url or None, timeout=timeout_s, max_retries=max_retries
        )
        self._model = model

    async def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], ctx: PlanningContext
    ) -> ModelReply:
        try:
            response = await self._client.chat.completions.create(
                model=self._model,
                messages=messages,  # type: ignore[arg-type]
                tools=tools,  # type: ignore[arg-type]
                parallel_tool_calls=True,
                temperature=0.2,
            )
        except openai.APIError as exc:
            status = getattr(exc, "status_code", None)
            log.warning("model call failed", extra={"error": type(exc).__name__, "status": status})
            raise ModelUnavailable(type(exc).__name__) from exc
        if not response.choices:
            raise ModelUnavailable("empty response")
        message = response.choices[0].message
        calls = [
            ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments or "{}")
            for c in (message.tool_calls or [])
            if c.type == "function"
        ]
        return ModelReply(content=message.content, tool_calls=calls)

    async def close(self) -> None:
        await self._client.close()
