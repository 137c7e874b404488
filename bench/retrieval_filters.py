"""Filtered vector search at 100k chunks: today's path (the peer) against a per-kind partial HNSW index, same run.

``.venv/bin/python -m bench.retrieval_filters [--size 100000] [--questions 40]``

An experiment for the last point of issue #22 (``bench/notes/retrieval_filters.md``): ``bench.retrieval``'s
corpus-shaped chunks are loaded into a throwaway embedded PostgreSQL; then the document's kind is copied onto its
chunks (``doc_kind``, a column only this experiment adds) and a partial HNSW index is built for
``doc_kind = 'curriculum'``. For ``kind=curriculum`` and ``kind=curriculum, grades 3-5`` it times (session + SQL,
the query vectors precomputed) and scores recall@5 against the exact scan of the same filter:

- ``current``: ``knowledge.store.vector_search`` as production runs it (ef_search 200 divided by the filter's share);
- ``ef N``: the same SQL with a fixed ef_search (what lowering the width alone buys);
- ``kind index, ef N``: the same SQL plus the literal ``c.doc_kind = 'curriculum'`` so the partial index is used.

Not a test; the production schema is unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench import retrieval
from domain.db import make_engine, make_sessionmaker
from knowledge import CORPUS_DIR, store
from knowledge.chunking import chunk_document
from knowledge.documents import corpus_files, load_document
from knowledge.embedders import load_minilm
from knowledge.evaluate import load_questions

DIM, K = 384, 20
FILTERS = {"curriculum": store.Filters(kind="curriculum"),
           "curr 3-5": store.Filters(kind="curriculum", grade_low=3, grade_high=5)}
VARIANTS: list[tuple[str, int, bool]] = [("ef 200", 200, False), ("kind index, ef 200", 200, True),
                                         ("kind index, ef 400", 400, True)]


async def kind_index(url: str, name: str) -> float:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        await conn.execute("ALTER TABLE knowledge_chunks ADD COLUMN doc_kind text")
        await conn.execute("UPDATE knowledge_chunks c SET doc_kind = d.kind FROM knowledge_documents d "
                           "WHERE d.id = c.document_id")
        await conn.execute("VACUUM ANALYZE knowledge_chunks")
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute(
            f"CREATE INDEX ix_bench_kind_curriculum ON knowledge_chunks USING hnsw ((embedding::vector({DIM})) "
            f"vector_ip_ops) WITH (m = {store.HNSW_M}, ef_construction = {store.HNSW_EF_CONSTRUCTION}) "
            f"WHERE embedding_model = '{name}' AND doc_kind = 'curriculum'")
        return time.perf_counter() - started
    finally:
        await conn.close()


async def search(session: AsyncSession, vector: list[float], name: str, filters: store.Filters,
                 variant: tuple[str, int, bool] | None) -> list[str]:
    if variant is None:
        return [r.id for r in await store.vector_search(session, vector, name, DIM, filters, K, hnsw=True)]
    _, ef, by_kind = variant
    await session.execute(text("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                               "set_config('hnsw.ef_search', :ef, true)"), {"ef": str(ef)})
    sql, params = store._vector_sql(vector, name, DIM, filters, K, hnsw=True)
    if by_kind:  # the partial index's predicate, repeated literally
        sql = text(str(sql).replace("WHERE d.approved", "WHERE c.doc_kind = 'curriculum' AND d.approved"))
    return [r.id for r in await session.execute(sql, params)]


async def exact(session: AsyncSession, vector: list[float], name: str, filters: store.Filters) -> list[str]:
    return [r.id for r in await store.vector_search(session, vector, name, DIM, filters, K, hnsw=False)]


async def timed(sessions: async_sessionmaker[AsyncSession], vectors: Sequence[list[float]], name: str,
                filters: store.Filters, variant: tuple[str, int, bool] | None) -> tuple[list[float], list[list[str]]]:
    latencies, results = [], []
    for vector in vectors:
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            results.append(await search(session, vector, name, filters, variant))
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, results


def recall5(truth: list[list[str]], got: list[list[str]]) -> float:
    return statistics.mean(len(set(t[:5]) & set(g[:5])) / max(1, len(set(t[:5]))) for t, g in zip(truth, got,
                                                                                                 strict=True))


async def run(url: str, size: int, n_questions: int) -> None:
    docs = [load_document(p) for p in corpus_files(CORPUS_DIR)]
    chunks = [(j, c) for j, d in enumerate(docs) for c in chunk_document(d)]
    model = load_minilm()
    anchors = model.encode([c.content for _, c in chunks], normalize_embeddings=True)
    anchor_doc = np.array([j for j, _ in chunks])
    name = f"corpus-{size}"
    await retrieval.load(url, {name: (retrieval.corpus_shaped, size)}, anchors, anchor_doc, docs)
    built = await retrieval.build_index(url, name)
    kind_built = await kind_index(url, name)
    questions = load_questions()[:n_questions]
    vectors = [list(map(float, v)) for v in model.encode([q.q for q in questions], normalize_embeddings=True)]
    print(f"{size:,} chunks; HNSW build {built:.0f} s, kind column + curriculum index {kind_built:.0f} s; "
          f"{len(vectors)} questions; load average {retrieval.load_avg()}")
    engine = make_engine(url, pool_size=2)
    sessions = make_sessionmaker(engine)
    print(f"{'filter':>11} {'variant':>20} {'p50':>7} {'p95':>7} {'recall@5':>9}")
    try:
        for fname, filters in FILTERS.items():
            truth: list[list[str]] = []
            for vector in vectors:
                async with sessions() as session, session.begin():
                    truth.append(await exact(session, vector, name, filters))
            rows: list[tuple[str, tuple[str, int, bool] | None]] = [("current", None)]
            rows += [(v[0], v) for v in VARIANTS]
            for label, variant in rows:
                await timed(sessions, vectors[:3], name, filters, variant)  # warm-up
                latencies, got = await timed(sessions, vectors, name, filters, variant)
                print(f"{fname:>11} {label:>20} {np.percentile(latencies, 50):5.1f}ms "
                      f"{np.percentile(latencies, 95):5.1f}ms {recall5(truth, got):9.3f}", flush=True)
    finally:
        await engine.dispose()
    print(f"load average after: {retrieval.load_avg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args()
    from devtools.embedded_servers import EmbeddedPostgres
    from domain import migrate

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="faraday-bench-")) / "pg", database="bench")
    url = server.start()
    try:
        migrate.upgrade(url)
        asyncio.run(run(url, args.size, args.questions))
    finally:
        server.stop()


if __name__ == "__main__":
    main()

