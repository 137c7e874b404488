"""Second stage over the union of the two arms' candidates: one score per chunk instead of rank fusion.

    score = similarity + token_weight · token_match + text_weight · (rrf_k + 1) / (rrf_k + full-text rank)

``similarity`` is the vector arm's (max over the chunk, its passages and the two query vectors; computed for the
full-text-only candidates too). ``token_match`` is a soft lexical match: each word piece of the query (punctuation
left out) takes its best cosine against the word pieces of the chunk, in MiniLM's own input-embedding table, and the
query scores the mean. It rewards a chunk that uses the query's words *or their near neighbours* ("swollen" ~
"swelling", "AEDs" ~ "AED") without a second transformer pass: no model beyond the one already shipped, no per-chunk
storage, a few milliseconds for ~40 candidates. The last term keeps the full-text arm's vote (rank 1 → 1.0).

Only for the MiniLM embedder: the weights were chosen against its similarity scale, and the table is its own. With any
other embedder the retriever keeps plain RRF. Weights were chosen on the even-indexed labelled questions only (see
``knowledge/evaluate.py``); the odd half is held out.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from knowledge.embedders import MINILM_NAME, minilm_path

MAX_TOKENS = 256  # what MiniLM itself reads of a chunk
_ALNUM = re.compile(r"[a-z0-9]")


class TokenMatcher:
    """Soft token overlap with MiniLM's word-piece embeddings (unit rows) and a tokenizer instance of its own."""

    def __init__(self, tokenizer: Any, table: Any, cache_size: int = 8192) -> None:
        import numpy as np

        self._np = np
        self._tokenizer = tokenizer
        self._table = table
        self._special = {tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]")}
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def from_minilm(cls) -> TokenMatcher:
        """Read the tokenizer and the input-embedding table from the model directory (no torch, ~50 ms)."""
        import numpy as np
        from safetensors import safe_open
        from tokenizers import Tokenizer

        root = minilm_path()
        tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(MAX_TOKENS)
        with safe_open(str(root / "model.safetensors"), framework="np") as weights:
            name = next(k for k in weights.keys() if k.endswith("word_embeddings.weight"))  # noqa: SIM118
            table = weights.get_tensor(name).astype(np.float32)
        table /= np.linalg.norm(table, axis=1, keepdims=True) + 1e-12
        return cls(tokenizer, table)

    def query_ids(self, text: str) -> list[int]:
        """The query's word pieces without special tokens and punctuation (all of them if nothing else is left)."""
        encoding = self._tokenizer.encode(text)
        pieces = [(i, t) for i, t in zip(encoding.ids, encoding.tokens, strict=True) if i not in self._special]
        kept = [i for i, t in pieces if _ALNUM.search(t)]
        return kept or [i for i, _ in pieces]

    def _chunk_ids(self, text: str) -> Any:
        with self._lock:
            ids = self._cache.get(text)
            if ids is not None:
                self._cache.move_to_end(text)
                return ids
        ids = [i for i in self._tokenizer.encode(text).ids if i not in self._special]
        found = self._np.unique(self._np.asarray(ids, dtype=self._np.int64))
        with self._lock:
            self._cache[text] = found
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found

    def scores(self, query_ids: Sequence[int], texts: Sequence[str]) -> list[float]:
        """Mean over the query's pieces of the best cosine against each text's pieces (0 for an empty side)."""
        np = self._np
        if not query_ids or not texts:
            return [0.0] * len(texts)
        pieces = [self._chunk_ids(text) for text in texts]
        vocabulary = np.unique(np.concatenate(pieces))  # one product against every piece the candidates use
        if not len(vocabulary):
            return [0.0] * len(texts)
        # einsum's own loop, not BLAS: OpenBLAS's threads spin against the bot and Postgres on 2 cores (8 ms → 1.6)
        sims = np.einsum("qd,vd->qv", self._table[list(query_ids)], self._table[vocabulary])
        sims = np.hstack([sims, np.full((len(sims), 1), -np.inf, dtype=sims.dtype)])  # the padding column
        columns = np.full((len(pieces), max(len(p) for p in pieces)), len(vocabulary))
        for row, ids in enumerate(pieces):
            columns[row, : len(ids)] = np.searchsorted(vocabulary, ids)
        best = sims[:, columns].max(axis=2).mean(axis=0)  # (query pieces, texts, pieces) → per text
        return [float(b) if len(ids) else 0.0 for b, ids in zip(best, pieces, strict=True)]


_matcher: TokenMatcher | None = None
_matcher_lock = threading.Lock()


def matcher_for(embedder_name: str) -> TokenMatcher | None:
    """The process's token matcher for MiniLM (loaded once), or None for any other embedder."""
    global _matcher
    if embedder_name != MINILM_NAME:
        return None
    if _matcher is None:
        with _matcher_lock:
            if _matcher is None:
                _matcher = TokenMatcher.from_minilm()
    return _matcher


def combined_scores(
    similarities: Sequence[float], token_match: Sequence[float], text_ranks: Sequence[int | None], *,
    token_weight: float, text_weight: float, rrf_k: int,
) -> list[float]:
    """The second-stage score of each candidate (``text_ranks`` from 1; None when the full-text arm missed it)."""
    return [
        s + token_weight * t + (text_weight * (rrf_k + 1) / (rrf_k + r) if r else 0.0)
        for s, t, r in zip(similarities, token_match, text_ranks, strict=True)
    ]
