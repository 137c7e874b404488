"""A scripted OpenAI-compatible server on loopback: the real openai SDK talks to it over HTTP.

Each POST /v1/chat/completions takes the next scripted step: a tool-call reply, a text reply, an error status
(with optional Retry-After) or a delay. Every request body is kept, so tests can assert what the model was sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from devtools.fakes.loopback import LoopbackServer


@dataclass
class Step:
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)  # (name, arguments)
    text: str | None = None
    status: int = 200
    retry_after: float | None = None
    delay_s: float = 0.0
    truncate: bool = False  # streamed: stop before the model finishes (a broken connection)
    chunk_delay_s: float = 0.0  # streamed: pause between chunks


def say(text: str) -> Step:
    return Step(text=text)


def call(name: str, arguments: dict[str, Any] | str) -> Step:
    return Step(tool_calls=[(name, arguments)])


def calls(*pairs: tuple[str, dict[str, Any] | str]) -> Step:
    return Step(tool_calls=list(pairs))


def error(status: int, retry_after: float | None = None) -> Step:
    return Step(status=status, retry_after=retry_after)


@dataclass
class ScriptedOpenAI(LoopbackServer):
    script: list[Step] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def base_url(self) -> str:
        return self._url("/v1")

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._complete)

    async def _complete(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if not self.script:
            return web.json_response({"error": {"message": "script exhausted", "type": "test"}}, status=500)
        step = self.script.pop(0)
        if step.delay_s:
            await asyncio.sleep(step.delay_s)
        if step.status != 200:
            headers = {"Retry-After": str(step.retry_after)} if step.retry_after is not None else {}
            return web.json_response(
                {"error": {"message": "scripted error", "type": "test", "code": str(step.status)}},
                status=step.status,
                headers=headers,
            )
        if body.get("stream"):
            return await self._stream(request, step)
        message: dict[str, Any] = {"role": "assistant", "content": step.text}
        if step.tool_calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{next(self._ids)}",
                    "type": "function",
                    "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
                }
                for name, args in step.tool_calls
            ]
        return web.json_response(
            {
                "id": f"chatcmpl-{next(self._ids)}",
                "object": "chat.completion",
                "created": 1764000000,
                "model": body.get("model", "test"),
                "choices": [
                    {"index": 0, "message": message, "finish_reason": "tool_calls" if step.tool_calls else "stop"}
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        )

    async def _stream(self, request: web.Request, step: Step) -> web.StreamResponse:
        """Server-sent events as the real API sends them: content deltas word by word, tool calls in pieces."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion.chunk", "created": 1764000000,
                "model": "test"}

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            if step.chunk_delay_s:
                await asyncio.sleep(step.chunk_delay_s)

        await send({"role": "assistant", "content": ""})
        for i, (name, args) in enumerate(step.tool_calls):
            arguments = args if isinstance(args, str) else json.dumps(args)
            half = len(arguments) // 2
            await send({"tool_calls": [{"index": i, "id": f"call_{next(self._ids)}", "type": "function",
                                        "function": {"name": name, "arguments": arguments[:half]}}]})
            await send({"tool_calls": [{"index": i, "function": {"arguments": arguments[half:]}}]})
        words = (step.text or "").split(" ")
        for i, word in enumerate(words if step.text else []):
            await send({"content": word if i == 0 else " " + word})
        if step.truncate:
            return response  # no finish_reason, no [DONE]: the connection just ends
        await send({}, "tool_calls" if step.tool_calls else "stop")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
