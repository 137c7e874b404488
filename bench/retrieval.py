"""Vector retrieval latency at 1k / 10k / 100k chunks: exact scan vs HNSW (the peer is the exact scan).

``.venv/bin/python -m bench.retrieval [--sizes 1000,10000,100000] [--queries 200]``

Synthetic corpus: unit vectors near the real corpus's MiniLM chunk embeddings (each a random mix of two real chunks
plus noise), spread over 100 documents, one embedding-model name per size so each size has its own partial HNSW index
(``knowledge.store.ensure_hnsw_index``). Queries are the labelled questions embedded by MiniLM *inside* the timed
loop; latency = query embedding + the same SQL ``knowledge.store.vector_search`` runs in production (join, approved
filter, model filter; HNSW with iterative scan). Recall@5 of HNSW is measured against the exact top-5 of the same
queries. Runs on a throwaway embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

from domain.db import make_engine, make_sessionmaker
from knowledge import CORPUS_DIR, store
from knowledge.chunking import chunk_document
from knowledge.documents import corpus_files, load_document
from knowledge.embedders import MiniLMEmbedder, load_minilm
from knowledge.evaluate import load_questions

CORPUS = CORPUS_DIR
DIM = 384


def synthetic(n: int, anchors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    a = anchors[rng.integers(0, len(anchors), n)]
    b = anchors[rng.integers(0, len(anchors), n)]
    w = rng.uniform(0.5, 1.0, (n, 1))
    v = w * a + (1 - w) * b + rng.normal(0, 0.03, (n, DIM))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


async def load(url: str, sizes: list[int], anchors: np.ndarray) -> None:
    import asyncpg
    from pgvector.asyncpg import register_vector

    rng = np.random.default_rng(7)
    conn = await asyncpg.connect(url)
    try:
        await register_vector(conn)
        await conn.copy_records_to_table(
            "knowledge_documents",
            columns=["id", "slug", "title", "kind", "audience", "grade_band", "version", "reviewed_by", "approved",
                     "content_hash"],
            records=[(i, f"doc-{i}", f"Doc {i}", "safety" if i % 2 else "curriculum", "all-staff", "K-12", "1.0",
                      "bench", True, "x") for i in range(1, 101)],
        )
        for size in sizes:
            vectors = synthetic(size, anchors, rng)
            records = [(f"b{size}-{i}", 1 + i % 100, i, "s", "synthetic chunk", "h", f"bench-{size}", DIM, vectors[i])
                       for i in range(size)]
            await conn.copy_records_to_table(
                "knowledge_chunks", records=records,
                columns=["id", "document_id", "ordinal", "section", "content", "content_hash", "embedding_model",
                         "embedding_dim", "embedding"],
            )
        await conn.execute("ANALYZE knowledge_chunks")
    finally:
        await conn.close()


async def build_indexes(url: str, sizes: list[int]) -> dict[int, float]:
    engine = make_engine(url, pool_size=1)
    took = {}
    try:
        for size in sizes:
            async with engine.begin() as conn:
                from sqlalchemy.ext.asyncio import AsyncSession

                session = AsyncSession(bind=conn)
                await session.execute(text("SET maintenance_work_mem = '1GB'"))
                started = time.perf_counter()
                await store.ensure_hnsw_index(session, f"bench-{size}", DIM)
                took[size] = time.perf_counter() - started
    finally:
        await engine.dispose()
    return took


async def measure(url: str, size: int, queries: list[str], embedder: MiniLMEmbedder, kind: str | None):
    engine = make_engine(url, pool_size=1)
    sessions = make_sessionmaker(engine)
    filters = store.Filters(kind=kind)
    out = {}
    try:
        for hnsw in (False, True):
            latencies, tops = [], []
            for i, q in enumerate([queries[0]] * 5 + queries):  # 5 warm-up queries
                started = time.perf_counter()
                vector = await embedder.embed_query(q)
                async with sessions() as session, session.begin():
                    rows = await store.vector_search(session, vector, f"bench-{size}", DIM, filters, 5, hnsw=hnsw)
                if i >= 5:
                    latencies.append((time.perf_counter() - started) * 1000)
                    tops.append([r.id for r in rows])
            out[hnsw] = (latencies, tops)
    finally:
        await engine.dispose()
    exact_tops, hnsw_tops = out[False][1], out[True][1]
    recall = statistics.mean(len(set(a) & set(b)) / 5 for a, b in zip(exact_tops, hnsw_tops, strict=True))
    return out[False][0], out[True][0], recall


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


async def run(url: str, sizes: list[int], n_queries: int) -> None:
    import gc

    docs = [load_document(p) for p in corpus_files(CORPUS)]
    model = load_minilm()
    anchors = model.encode([c.content for d in docs for c in chunk_document(d)], normalize_embeddings=True)
    questions = [q.q for q in load_questions()]
    queries = (questions * (n_queries // len(questions) + 1))[:n_queries]
    if True:
        started = time.perf_counter()
        await load(url, sizes, anchors)
        print(f"loaded {sum(sizes):,} synthetic chunks in {time.perf_counter() - started:.1f} s")
        builds = await build_indexes(url, sizes)
        embedder = MiniLMEmbedder()
        gc.collect()
        print(f"\n{'chunks':>8} {'filter':>7} {'exact p50':>10} {'exact p95':>10} {'HNSW p50':>9} {'HNSW p95':>9} "
              f"{'p95 ratio':>10} {'HNSW recall@5':>14} {'index build':>12}")
        for size in sizes:
            for kind in (None, "safety"):
                exact, hnsw, recall = await measure(url, size, queries, embedder, kind)
                print(f"{size:>8,} {kind or '-':>7} {pct(exact, 50):8.1f}ms {pct(exact, 95):8.1f}ms "
                      f"{pct(hnsw, 50):7.1f}ms {pct(hnsw, 95):7.1f}ms {pct(hnsw, 95) / pct(exact, 95):9.2f}x "
                      f"{recall:14.3f} {builds[size]:10.1f} s")
        embed = []
        for q in queries[:100]:
            t = time.perf_counter()
            await embedder.embed_query(q)
            embed.append((time.perf_counter() - t) * 1000)
        print(f"\n(query embedding alone, MiniLM on CPU: p50 {pct(embed, 50):.1f} ms, p95 {pct(embed, 95):.1f} ms; "
              f"exact recall@5 is 1.000 by definition; ratio < 1 means HNSW is faster)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    from domain import migrate
    from scripts.devservers import EmbeddedPostgres

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="faraday-bench-")) / "pg", database="bench")
    url = server.start()
    try:
        migrate.upgrade(url)
        asyncio.run(run(url, [int(s) for s in args.sizes.split(",")], args.queries))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
