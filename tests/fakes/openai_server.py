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
from aiohttp.test_utils import TestServer


@dataclass
class Step:
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)  # (name, arguments)
    text: str | None = None
    status: int = 200
    retry_after: float | None = None
    delay_s: float = 0.0


def say(text: str) -> Step:
    return Step(text=text)


def call(name: str, arguments: dict[str, Any] | str) -> Step:
    return Step(tool_calls=[(name, arguments)])


def calls(*pairs: tuple[str, dict[str, Any] | str]) -> Step:
    return Step(tool_calls=list(pairs))


def error(status: int, retry_after: float | None = None) -> Step:
    return Step(status=status, retry_after=retry_after)


@dataclass
class ScriptedOpenAI:
    script: list[Step] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    _server: TestServer | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("/v1"))

    async def start(self) -> ScriptedOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

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
