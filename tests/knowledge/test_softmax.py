"""knowledge.softmax: the linear classifier over MiniLM vectors behind the topic index, trained deterministically and
cached on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge import softmax


def _clusters() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    centres = np.eye(3, 8, dtype=np.float32)
    x = np.concatenate([c + 0.15 * rng.standard_normal((20, 8)).astype(np.float32) for c in centres])
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.repeat(np.arange(3), 20)


def test_it_learns_separable_classes_and_gives_probabilities() -> None:
    x, y = _clusters()
    model = softmax.train(x, y, 3)
    p = model.probabilities(x[0])
    assert p.shape == (3,) and abs(float(p.sum()) - 1.0) < 1e-5
    predicted = np.array([int(model.probabilities(v).argmax()) for v in x])
    assert (predicted == y).mean() == 1.0
    assert float(model.probabilities(np.eye(3, 8)[2]).max()) > 0.5  # a class centre is its class, with confidence
    again = softmax.train(x, y, 3)
    assert np.array_equal(again.weights, model.weights)  # deterministic: the same bank, the same classifier


def test_the_trained_weights_are_cached_per_bank(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FARADAY_CACHE_DIR", str(tmp_path))
    x, y = _clusters()
    first = softmax.trained(x, y, 3)
    [cached] = list(tmp_path.glob("softmax-*.npz"))
    np.savez(cached, weights=first.weights * 2, bias=first.bias)  # the next call reads the file
    assert np.allclose(softmax.trained(x, y, 3).weights, first.weights * 2)
    other = softmax.trained(x, y[::-1].copy(), 3)  # other labels: another file, trained afresh
    assert len(list(tmp_path.glob("softmax-*.npz"))) == 2 and not np.allclose(other.weights, first.weights * 2)
    cached.write_bytes(b"damaged")
    assert np.allclose(softmax.trained(x, y, 3).weights, first.weights)  # a damaged cache is retrained
