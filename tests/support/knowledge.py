"""Knowledge test helpers: a counting fake embedder and small markdown documents."""

from __future__ import annotations

import hashlib
import math
import random


class CountingEmbedder:
    """Deterministic unit vectors from a text hash; counts every text it embeds."""

    def __init__(self, name: str = "fake-embedder", dim: int = 384) -> None:
        self.name = name
        self.dim = dim
        self.embedded: list[str] = []

    def _vector(self, text: str) -> list[float]:
        rng = random.Random(hashlib.sha256(text.encode()).digest())
        raw = [rng.gauss(0, 1) for _ in range(self.dim)]
        norm = math.sqrt(sum(x * x for x in raw))
        return [x / norm for x in raw]

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return [self._vector(t) for t in texts]

    async def embed_query(self, text: str) -> list[float]:
        return self._vector(text)



def markdown(version: str = "1.0", body: str = "Pool rope swings are closed until the anchor bolts are re-tested.",
             **front: str) -> bytes:
    fields = {"title": "Rope Swing Closure", "kind": "safety", "audience": "pe-teachers", "grade_band": "6-12",
              "version": version, "reviewed_by": "District Risk Office", "reviewed_on": "2026-11-30", **front}
    head = "".join(f"{k}: {v}\n" for k, v in fields.items() if v)
    return (f"---\n{head}---\n# Rope Swing Closure\n\n## Status\n{body}\n\n## Who to Ask\n"
            "The athletics director approves reopening after the inspection report.\n").encode()
