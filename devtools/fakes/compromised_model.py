"""A "compromised model": an OpenAI-compatible server that emits whatever tool calls an attacker wants.

It is ``ScriptedOpenAI`` (chat completions; every request kept in ``received``) plus ``/v1/embeddings`` answering
with bag-of-words vectors, so the app's real OpenAI embedder and retriever work against a corpus ingested with
``BagOfWordsEmbedder`` (same vectors). Tests script the attack with ``Step``s from ``devtools.fakes.openai_server``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from devtools.fakes.openai_server import ScriptedOpenAI, Step

OPENAI_NAME = "text-embedding-3-small"
OPENAI_DIM = 1536
_WORD = re.compile(r"[a-z0-9]+")


def bag_of_words(text: str, dim: int = OPENAI_DIM) -> list[float]:
    """Unit vector of hashed word counts: texts sharing words have a high cosine similarity."""
    vector = [0.0] * dim
    for word in _WORD.findall(text.lower()):
        if len(word) > 2:
            vector[int(hashlib.sha1(word.encode()).hexdigest(), 16) % dim] += 1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


class BagOfWordsEmbedder:
    """The same vectors in-process (for ingesting a test corpus under the OpenAI model's name)."""

    def __init__(self, name: str = OPENAI_NAME, dim: int = OPENAI_DIM) -> None:
        self.name, self.dim = name, dim

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [bag_of_words(t, self.dim) for t in texts]

    async def embed_query(self, text: str) -> list[float]:
        return bag_of_words(text, self.dim)


@dataclass
class CompromisedModel(ScriptedOpenAI):
    """Scripted chat completions + embeddings. ``prompts()`` is every message the app sent, as one string."""

    async def start(self) -> CompromisedModel:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        app.router.add_post("/v1/embeddings", self._embeddings)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        data = [{"object": "embedding", "index": i, "embedding": bag_of_words(str(t))} for i, t in enumerate(texts)]
        return web.json_response({"object": "list", "data": data, "model": OPENAI_NAME,
                                  "usage": {"prompt_tokens": 1, "total_tokens": 1}})

    def obey(self, *steps: Step) -> None:
        """Queue the attacker's steps (tool calls and texts) for the next turn."""
        self.script.extend(steps)

    def prompts(self) -> str:
        return json.dumps(self.received, ensure_ascii=False)

    def tool_results(self) -> list[dict[str, Any]]:
        """Every tool result message the app sent back to the model, parsed."""
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for body in self.received:
            for message in body.get("messages", []):
                if message.get("role") == "tool" and message.get("tool_call_id") not in seen:
                    seen.add(message["tool_call_id"])
                    try:
                        out.append(json.loads(message.get("content") or "{}"))
                    except ValueError:
                        out.append({"raw": message.get("content")})
        return out
