"""The local embedder on ONNX Runtime gives sentence-transformers' vectors (knowledge.embedders.OnnxMiniLM)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from knowledge import CORPUS_DIR
from knowledge.embedders import MiniLMEmbedder, OnnxMiniLM, export_onnx_graph, load_encoder, load_minilm


def corpus_texts() -> list[str]:
    files = sorted(CORPUS_DIR.glob("*/*.md"))[:6]
    # short, typical and far past the 256-token window (truncated the same way), in one padded batch
    long = [f.read_text(encoding="utf-8")[:n] for f in files for n in (300, 4000)]
    return ["AED", "what's the lightning rule?", *long]


@pytest.fixture(scope="module")
def fresh_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_onnx_graph(tmp_path_factory.mktemp("onnx"))  # exported from the shipped weights, here and now


def test_a_freshly_exported_graph_gives_sentence_transformers_vectors(fresh_graph: Path) -> None:
    texts = corpus_texts()
    expected = load_minilm().encode(texts, normalize_embeddings=True)
    got = OnnxMiniLM(fresh_graph).encode(texts)
    assert got.shape == expected.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float((got * expected).sum(axis=1).min()) > 0.99999
    one_by_one = np.vstack([OnnxMiniLM(fresh_graph).encode([t]) for t in texts[:4]])
    assert float((one_by_one * got[:4]).sum(axis=1).min()) > 0.99999  # padding in a batch changes nothing


def test_the_graph_is_exported_once_and_then_reused(fresh_graph: Path) -> None:
    before = fresh_graph.stat().st_mtime_ns
    assert export_onnx_graph(fresh_graph.parent) == fresh_graph
    assert fresh_graph.stat().st_mtime_ns == before
    assert not [p for p in os.listdir(fresh_graph.parent) if p.endswith(".partial")]


async def test_the_embedder_runs_on_onnx_runtime_when_it_is_installed() -> None:
    assert isinstance(load_encoder(), OnnxMiniLM)
    vector = await MiniLMEmbedder().embed_query("heat illness on the track")
    reference = load_minilm().encode(["heat illness on the track"], normalize_embeddings=True)[0]
    assert len(vector) == 384 and float(np.dot(vector, reference)) > 0.99999
