"""Chat Completions with tools through the openai SDK: OpenAI, Azure OpenAI and compatible servers."""

from __future__ import annotations

import logging
from typing import Any, cast

import openai
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolUnionParam

from agent.model import ModelReply, ModelUnavailable, PlanningContext, TextSink, ToolCall
from domain.settings import Settings

log = logging.getLogger(__name__)

MAX_RETRY_WAIT_S = 1.0  # a Retry-After longer than this is not worth waiting for inside a 12 s turn


def _sdk_messages(messages: list[dict[str, Any]]) -> list[ChatCompletionMessageParam]:
    # The agent builds messages as plain JSON dicts (the same shape the SDK's TypedDicts describe); the union of
    # message TypedDicts can't be narrowed from dict[str, Any] without re-validating every field, so cast here.
    return cast("list[ChatCompletionMessageParam]", messages)


def _sdk_tools(tools: list[dict[str, Any]]) -> list[ChatCompletionToolUnionParam]:
    # Tool schemas come from the pydantic args models as JSON dicts; same reason as _sdk_messages.
    return cast("list[ChatCompletionToolUnionParam]", tools)


class _TurnBoundClient(openai.AsyncOpenAI):
    """The SDK honours Retry-After up to 60 s; inside a Teams turn the offline planner answers sooner instead."""

    def _should_retry(self, response: Any) -> bool:
        retry_after = self._parse_retry_after_header(response.headers)
        if retry_after is not None and retry_after > MAX_RETRY_WAIT_S:
            return False
        return super()._should_retry(response)


class OpenAIBackend:
    name = "openai"

    def __init__(
        self, *, api_key: str, model: str, base_url: str | None = None, timeout_s: float = 10.0, max_retries: int = 1
    ) -> None:
        # Defaults would be a 600 s timeout and 2 retries honouring Retry-After up to 120 s: far past Teams' 15 s.
        self._client = _TurnBoundClient(
            api_key=api_key, base_url=base_url or None, timeout=timeout_s, max_retries=max_retries
        )
        self._model = model

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIBackend:
        return cls(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url or None,
            model=settings.openai_model,
            timeout_s=settings.openai_timeout_s,
            max_retries=settings.openai_max_retries,
        )

    async def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        ctx: PlanningContext,
        on_text: TextSink | None = None,
    ) -> ModelReply:
        try:
            if on_text is not None:
                return await self._stream(messages, tools, on_text)
            response = await self._client.chat.completions.create(
                model=self._model,
                messages=_sdk_messages(messages),
                tools=_sdk_tools(tools),
                parallel_tool_calls=True,
                temperature=0.2,
            )
        except Exception as exc:  # API errors, transport errors, a truncated stream: the model is unavailable
            raise self._unavailable(exc) from exc
        if not response.choices:
            raise ModelUnavailable("empty response")
        message = response.choices[0].message
        calls = [
            ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments or "{}")
            for c in (message.tool_calls or [])
            if c.type == "function"
        ]
        return ModelReply(content=message.content, tool_calls=calls)

    async def _stream(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                      on_text: TextSink) -> ModelReply:
        """Stream the reply: text deltas go to ``on_text`` as they come; tool-call deltas are assembled."""
        text = ""
        calls: dict[int, dict[str, str]] = {}
        finished = False
        stream = await self._client.chat.completions.create(
            model=self._model,
            messages=_sdk_messages(messages),
            tools=_sdk_tools(tools),
            parallel_tool_calls=True,
            temperature=0.2,
            stream=True,
        )
        async for chunk in stream:
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            delta = choice.delta
            if delta.content:
                text += delta.content
                if not calls:
                    await on_text(text)
            for part in delta.tool_calls or []:
                slot = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                slot["id"] = part.id or slot["id"]
                if part.function is not None:
                    slot["name"] += part.function.name or ""
                    slot["arguments"] += part.function.arguments or ""
            finished = finished or choice.finish_reason is not None
        if not finished:
            raise ModelUnavailable("the stream ended before the model finished")
        tool_calls = [ToolCall(id=c["id"], name=c["name"], arguments=c["arguments"] or "{}")
                      for _, c in sorted(calls.items())]
        return ModelReply(content=text or None, tool_calls=tool_calls)

    @staticmethod
    def _unavailable(exc: Exception) -> ModelUnavailable:
        if isinstance(exc, ModelUnavailable):
            return exc
        log.warning("model call failed",
                    extra={"error": type(exc).__name__, "status": getattr(exc, "status_code", None)})
        return ModelUnavailable(type(exc).__name__)

    async def close(self) -> None:
        await self._client.close()
