"""A scripted OpenAI-compatible ``/v1/embeddings`` endpoint on loopback (the real openai SDK talks to it).

Vectors are deterministic per input text (seeded from its hash), unnormalised, of a chosen dimension; a list of
status codes can be queued to make the next requests fail.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from devtools.fakes.loopback import LoopbackServer


def fake_vector(text: str, dim: int) -> list[float]:
    rng = random.Random(hashlib.sha256(text.encode()).digest())
    return [rng.uniform(-2, 2) for _ in range(dim)]


@dataclass
class ScriptedEmbeddings(LoopbackServer):
    dim: int = 1536
    failures: list[int] = field(default_factory=list)  # statuses for the next requests, then 200s
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self._url("/v1")

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/embeddings", self._embed)

    async def _embed(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append({"body": body, "authorization": request.headers.get("Authorization", "")})
        if self.failures:
            status = self.failures.pop(0)
            return web.json_response({"error": {"message": "scripted", "type": "test"}}, status=status)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [{"object": "embedding", "index": i, "embedding": fake_vector(t, self.dim)}
                for i, t in enumerate(inputs)]
        data.reverse()  # the API does not promise order; the client must sort by index
        return web.json_response(
            {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}}
        )
