"""The per-model HNSW indexes of knowledge_chunks: the partial expression index of all a model's chunks and one per
filter scope (kind, audience, curriculum school band), their names and build parameters, created or rebuilt at ingest.

The only text put into their DDL is the embedding dimension (an int) and the model name (checked against
``_MODEL_NAME``): DDL cannot take parameters, and a partial index is only usable when the query repeats its predicate
literally (``knowledge.store`` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.chunk_sql import Filters
from knowledge.documents import slugify
from knowledge.metadata import AUDIENCES, KIND_LABELS

_MODEL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
HNSW_PREFIX = "ix_knowledge_chunks_hnsw_"

# HNSW build parameters, measured with ``bench.retrieval`` (100k chunks shaped like the corpus's MiniLM embeddings, the
# labelled questions as queries): m=16/ef_construction=64 (pgvector's defaults) reached recall@5 0.89 against the exact
# scan at ef_search=100; ef_construction=200 with ef_search=200 (``knowledge.store``) reaches ~0.99 for ~2 ms more per
# query and a ~3x slower build (once per model; later inserts are incremental).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200


def model_literal(model: str) -> str:
    if not _MODEL_NAME.match(model):
        raise ValueError(f"unsafe embedding model name {model!r}")
    return f"'{model}'"


def hnsw_index_name(model: str) -> str:
    return HNSW_PREFIX + slugify(model).replace("-", "_")[:63 - len(HNSW_PREFIX)]


@dataclass(frozen=True, slots=True)
class Scope:
    """A partial HNSW index holding the chunks one filter passes, besides the model's index of all its chunks.

    A filtered search walks the graph of its scope, so it neither digs past neighbours the filter rejects (the cost)
    nor misses the filter's nearest chunks when they lie far from the query (the recall). ``predicate`` is on the
    chunk's copied document fields (migration 0019_h22); queries repeat it literally so the planner can use the index.
    """

    suffix: str
    condition: str  # constant SQL over knowledge_chunks' columns, each written {c}column

    def predicate(self, alias: str = "") -> str:
        return self.condition.format(c=f"{alias}." if alias else "")


KIND_SCOPES = {kind: Scope(kind, f"{{c}}doc_kind = '{kind}'") for kind in KIND_LABELS}
AUDIENCE_SCOPES = {a: Scope(a.replace("-", "_"), f"{{c}}doc_audience IN ('{a}', 'all-staff')")
                   for a in AUDIENCES if a != "all-staff"}
# Grade bands narrow curriculum (safety protocols are nearly all K-12): one index per school band, holding every
# curriculum chunk whose band overlaps it. A requested band inside one of them searches that index.
GRADE_BUCKETS = ((0, 2), (3, 5), (6, 8), (9, 12))
BUCKET_SCOPES = {
    (low, high): Scope(f"curriculum_{'k' if low == 0 else low}_{high}",
                       f"{{c}}doc_kind = 'curriculum' AND {{c}}grade_low <= {high} AND {{c}}grade_high >= {low}")
    for low, high in GRADE_BUCKETS
}
SCOPES = (*KIND_SCOPES.values(), *AUDIENCE_SCOPES.values(), *BUCKET_SCOPES.values())


def scope_index_name(model: str, scope: Scope) -> str:
    base = hnsw_index_name(model)
    return base[:63 - len(scope.suffix) - 2] + "__" + scope.suffix


def scope_for(filters: Filters) -> Scope | None:
    """The narrowest partial index whose chunks include every chunk the filters pass (None: the model's index).

    Kind first (with a grade band inside one school band, curriculum's band index), else the audience; the filters
    the scope does not express are applied inside the index scan (iterative scans keep going until ``k`` pass).
    """
    if filters.kind in KIND_SCOPES:
        if filters.kind == "curriculum" and filters.grade_low is not None and filters.grade_high is not None:
            for (low, high), scope in BUCKET_SCOPES.items():
                if low <= filters.grade_low and filters.grade_high <= high:
                    return scope
        return KIND_SCOPES[filters.kind]
    if filters.audience in AUDIENCE_SCOPES:
        return AUDIENCE_SCOPES[filters.audience]
    return None


async def ensure_hnsw_index(session: AsyncSession, model: str, dim: int) -> bool:
    """The model's partial HNSW expression indexes (all its chunks, and one per ``Scope``), created the first time the
    model is ingested.

    An index built with other parameters (an older release's defaults) is dropped and rebuilt. Returns whether any
    index was (re)built.
    """
    built = False
    indexes = [(hnsw_index_name(model), "")] + [(scope_index_name(model, s), f" AND {s.predicate()}") for s in SCOPES]
    for name, predicate in indexes:
        built |= await _ensure_one(session, name, model, dim, predicate)
    return built


async def _ensure_one(session: AsyncSession, name: str, model: str, dim: int, predicate: str) -> bool:
    wanted = [f"m={HNSW_M}", f"ef_construction={HNSW_EF_CONSTRUCTION}"]
    found = await session.execute(
        text("SELECT c.reloptions FROM pg_class c WHERE c.oid = to_regclass(:name)"), {"name": name}
    )
    row = found.first()
    if row is not None:
        if sorted(row.reloptions or []) == sorted(wanted):
            return False
        await session.execute(text(f"DROP INDEX {name}"))
    await session.execute(
        text(
            f"CREATE INDEX {name} ON knowledge_chunks "
            f"USING hnsw ((embedding::vector({int(dim)})) vector_ip_ops) "
            f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) "
            f"WHERE embedding_model = {model_literal(model)}{predicate}"
        )
    )
    return True
