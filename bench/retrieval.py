"""Vector retrieval latency at 1k / 10k / 100k chunks: HNSW (ours) against the exact scan (the peer), same run.

``.venv/bin/python -m bench.retrieval [--sizes 1000,10000,100000] [--queries 132] [--repeats 3] [--no-stress]
[--before]``

``--before`` also times the search as it was before migration 0019_h22 (filters on the joined document, one HNSW
index per model: ``bench/retrieval_filters.py``) as a third path, query by query, with its recall.

What is timed: the labelled questions (``knowledge/evaluate``) embedded by MiniLM *inside* the timed loop, then a
pooled session, a transaction and ``knowledge.store.vector_search`` with the retriever's candidate count (k=20), exact
or HNSW, exactly as production runs it (join, approved and model filters, the HNSW settings round trip). Exact and
HNSW alternate query by query so that load from other processes hits both alike; each repeat gives a p50/p95 and the
table shows the median over repeats. Recall@5 (and @20) of HNSW is measured against the exact top-k of the same query
with the same filters.

Synthetic corpus (the target rows, ``corpus``): the real corpus's chunks are embedded with MiniLM and every synthetic
chunk is one of them plus Gaussian noise with the real embeddings' covariance, scaled so that a synthetic chunk is as
similar to its real chunk as real chunks are to their nearest real neighbour (median cosine ~0.81). The set therefore
keeps the real distribution's structure: topic clusters and the real spectrum (90% of variance in ~64 of 384
dimensions, as in the real chunks) rather than noise in every direction. Each synthetic chunk belongs to a copy of its
real chunk's document (kind, audience, grade band), so filters pass the real shares of chunks and correlate with the
topic as they do for real (a safety question with ``kind=safety`` finds safety neighbours; with ``kind=curriculum``
it must dig past them).

Stress rows (100k, unfiltered; the target does not refer to them): ``mix``, each chunk a random mix of two real
chunks plus isotropic noise (the previous version of this bench; noise in all 384 dimensions), and ``uniform``,
uniformly random unit vectors, where all distances concentrate and the "exact top-5" is close to noise: a worst case
for any ANN index, not a model of embeddings.

Filters: ``own kind`` is each question's labelled kind (what the agent passes), ``safety`` is kind=safety for every
question, ``other kind`` the opposite of the question's kind (anti-correlated), ``curr 3-5`` is kind=curriculum and
grade band 3-5 (~18% of chunks), ``nurses`` is audience=nurses (~30%), ``none pass`` is curriculum for nurses (no
document passes). Runs on a throwaway embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.process.heap import freeze_startup_heap
from domain.db import make_engine, make_sessionmaker
from knowledge import CORPUS_DIR, hnsw_indexes, store
from knowledge.chunking import chunk_document
from knowledge.documents import corpus_files, load_document
from knowledge.embedders import MiniLMEmbedder, load_minilm
from knowledge.evaluate import load_questions

DIM = 384
K = 20  # RetrievalConfig.candidates: what the retriever asks each arm for


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def corpus_shaped(n: int, anchors: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(anchor index, vector) per chunk: a real chunk plus noise with the real covariance (see the module doc)."""
    cov = np.cov(anchors.T)
    sims = anchors @ anchors.T
    np.fill_diagonal(sims, -1)
    nn = float(np.median(sims.max(axis=1)))
    scale = np.sqrt((1 / nn**2 - 1) / np.trace(cov))  # E|noise|^2 = scale^2 tr(cov): cosine to the anchor ~ nn
    root = np.linalg.cholesky(cov + 1e-6 * np.eye(DIM))
    idx = rng.integers(0, len(anchors), n)
    return idx, _unit(anchors[idx] + scale * (rng.standard_normal((n, DIM)) @ root.T))


def two_chunk_mix(n: int, anchors: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    idx = rng.integers(0, len(anchors), n)
    b = anchors[rng.integers(0, len(anchors), n)]
    w = rng.uniform(0.5, 1.0, (n, 1))
    return idx, _unit(w * anchors[idx] + (1 - w) * b + rng.normal(0, 0.03, (n, DIM)))


def uniform(n: int, anchors: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, len(anchors), n), _unit(rng.standard_normal((n, DIM)))


async def load(url: str, datasets: dict[str, tuple[Callable, int]], anchors: np.ndarray, anchor_doc: np.ndarray,
               docs: list) -> None:
    import asyncpg
    from pgvector.asyncpg import register_vector

    rng = np.random.default_rng(7)
    replicas = max(n for _, n in datasets.values()) // len(anchors) + 1
    conn = await asyncpg.connect(url)
    try:
        await register_vector(conn)
        await conn.copy_records_to_table(
            "knowledge_documents",
            columns=["id", "slug", "title", "kind", "audience", "grade_band", "version", "reviewed_by", "approved",
                     "content_hash"],
            records=[(1 + r * len(docs) + j, f"{d.slug}-{r}", d.title, d.kind, d.audience, d.grade_band, "1.0",
                      "bench", True, "x") for r in range(replicas) for j, d in enumerate(docs)],
        )
        for name, (make, n) in datasets.items():
            idx, vectors = make(n, anchors, rng)
            per_doc = max(1, n // len(anchors))  # copies of each real document this dataset uses
            records = [(f"{name}-{i}", 1 + (i % per_doc) * len(docs) + int(anchor_doc[idx[i]]), i, "s",
                        "synthetic chunk", "h", name, DIM, vectors[i]) for i in range(n)]
            await conn.copy_records_to_table(
                "knowledge_chunks", records=records,
                columns=["id", "document_id", "ordinal", "section", "content", "content_hash", "embedding_model",
                         "embedding_dim", "embedding"],
            )
        await conn.execute("VACUUM ANALYZE knowledge_chunks")
        await conn.execute("VACUUM ANALYZE knowledge_documents")
    finally:
        await conn.close()


async def build_index(url: str, name: str) -> float:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            session = AsyncSession(bind=conn)
            await session.execute(text("SET maintenance_work_mem = '1GB'"))
            started = time.perf_counter()
            await hnsw_indexes.ensure_hnsw_index(session, name, DIM)
            return time.perf_counter() - started
    finally:
        await engine.dispose()


FilterFor = Callable[[int], store.Filters]


def filter_sets(kinds: list[str | None]) -> dict[str, FilterFor]:
    other = {"safety": "curriculum", "curriculum": "safety", None: None}
    return {
        "-": lambda i: store.Filters(),
        "own kind": lambda i: store.Filters(kind=kinds[i]),
        "safety": lambda i: store.Filters(kind="safety"),
        "other kind": lambda i: store.Filters(kind=other[kinds[i]]),
        "curr 3-5": lambda i: store.Filters(kind="curriculum", grade_low=3, grade_high=5),
        "nurses": lambda i: store.Filters(audience="nurses"),
        "none pass": lambda i: store.Filters(kind="curriculum", audience="nurses"),
    }


PATHS = ("exact", "hnsw", "before")  # before: the search before migration 0019_h22 (bench.retrieval_filters)


async def measure(url: str, name: str, queries: list[tuple[int, str]], embedder: MiniLMEmbedder, filters: FilterFor,
                  repeats: int, before: bool = False) -> dict[str, float]:
    """Median over repeats of each p50/p95 (ms), and recall of HNSW (and of the earlier path) against exact on the
    same queries."""
    from bench.retrieval_filters import before_search

    engine = make_engine(url, pool_size=2)
    sessions = make_sessionmaker(engine)
    paths = PATHS if before else PATHS[:2]
    stats: dict[str, list[float]] = {f"{p} p{q}": [] for p in paths for q in (50, 95)}
    recall: dict[str, list[float]] = {f"{p} recall@{at}": [] for p in paths[1:] for at in (5, 20)}
    try:
        async def one(i: int, q: str, path: str) -> tuple[float, list[str]]:
            started = time.perf_counter()
            vector = await embedder.embed_query(q)
            async with sessions() as session, session.begin():
                if path == "before":
                    rows = await before_search(session, vector, name, DIM, filters(i), K)
                else:
                    rows = await store.vector_search(session, vector, name, DIM, filters(i), K, hnsw=path == "hnsw")
            return (time.perf_counter() - started) * 1000, [r.id for r in rows]

        for i, q in queries[:3]:  # warm-up: pool, caches, plans
            for path in paths:
                await one(i, q, path)
        for rep in range(repeats):
            lat: dict[str, list[float]] = {p: [] for p in paths}
            for n, (i, q) in enumerate(queries):
                shift = (n + rep) % len(paths)  # each path goes first as often as the others
                got = {}
                for path in paths[shift:] + paths[:shift]:
                    ms, ids = await one(i, q, path)
                    lat[path].append(ms)
                    got[path] = ids
                if rep == 0:
                    for path in paths[1:]:
                        for at in (5, 20):
                            exact, approx = set(got["exact"][:at]), set(got[path][:at])
                            recall[f"{path} recall@{at}"].append(
                                len(exact & approx) / len(exact) if exact else float(not approx))
            for path in paths:
                stats[f"{path} p50"].append(pct(lat[path], 50))
                stats[f"{path} p95"].append(pct(lat[path], 95))
    finally:
        await engine.dispose()
    out = {key: statistics.median(values) for key, values in stats.items()}
    out |= {key: statistics.mean(values) for key, values in recall.items()}
    out["recall@5"] = out["hnsw recall@5"]
    out["recall@20"] = out["hnsw recall@20"]
    return out


async def components(url: str, name: str, vectors: list[list[float]], texts: list[str],
                     embedder: MiniLMEmbedder) -> str:
    """Where the time of one HNSW query goes (medians, ms)."""
    engine = make_engine(url, pool_size=1)
    sessions = make_sessionmaker(engine)
    parts: dict[str, list[float]] = {"embed": [], "checkout+BEGIN": [], "settings": [], "search SQL": [],
                                     "COMMIT": []}
    try:
        for q, v in zip(texts, vectors, strict=True):
            t0 = time.perf_counter()
            await embedder.embed_query(q)
            t1 = time.perf_counter()
            async with sessions() as session:
                await session.begin()
                await session.execute(text("SELECT 1"))  # BEGIN is sent with the first statement
                t2 = time.perf_counter()
                await store._hnsw_settings(session, store.Filters(), K, name, DIM)
                t3 = time.perf_counter()
                list(await session.execute(*store._vector_sql(v, name, DIM, store.Filters(), K, hnsw=True)))
                t4 = time.perf_counter()
                await session.commit()
                t5 = time.perf_counter()
            for key, a, b in (("embed", t0, t1), ("checkout+BEGIN", t1, t2), ("settings", t2, t3),
                              ("search SQL", t3, t4), ("COMMIT", t4, t5)):
                parts[key].append((b - a) * 1000)
    finally:
        await engine.dispose()
    return ", ".join(f"{key} {statistics.median(vals):.2f}" for key, vals in parts.items())


async def crossover(url: str, sizes: list[int], anchors: np.ndarray, anchor_doc: np.ndarray, docs: list,
                    vectors: list[list[float]]) -> None:
    """The retriever's two vector paths, one model per database as in production, SQL + session only (ms).

    Exact is what ``auto`` runs below ``RetrievalConfig.hnsw_threshold``: chunks and their sentence passages (2.9 per
    chunk in the real corpus; synthetic ones here are the chunk plus small noise), max over the query vectors. HNSW is
    chunk-only ``vector_search`` once per query vector. One vector = a query the glossary does not expand; two = one
    it does. The embedding (the same for both paths) is not included.
    """
    import asyncpg
    from pgvector.asyncpg import register_vector

    from knowledge import passage_store

    rng = np.random.default_rng(11)
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "knowledge_documents",
            columns=["id", "slug", "title", "kind", "audience", "grade_band", "version", "reviewed_by", "approved",
                     "content_hash"],
            records=[(1 + j, d.slug, d.title, d.kind, d.audience, d.grade_band, "1.0", "bench", True, "x")
                     for j, d in enumerate(docs)],
        )
    finally:
        await conn.close()
    engine = make_engine(url, pool_size=1)
    sessions = make_sessionmaker(engine)
    print(f"\n{'chunks':>8} {'vectors':>8} {'exact+passages p50':>19} {'p95':>7} {'HNSW p50':>9} {'p95':>7}")
    try:
        for n in sizes:
            name = f"cross-{n}"
            conn = await asyncpg.connect(url)
            try:
                await register_vector(conn)
                await conn.execute("DELETE FROM knowledge_chunks WHERE embedding_model LIKE 'cross-%'")
                idx, chunk_vectors = corpus_shaped(n, anchors, rng)
                await conn.copy_records_to_table(
                    "knowledge_chunks",
                    records=[(f"{name}-{i}", 1 + int(anchor_doc[idx[i]]), i, "s", "synthetic chunk", "h", name, DIM,
                              chunk_vectors[i]) for i in range(n)],
                    columns=["id", "document_id", "ordinal", "section", "content", "content_hash", "embedding_model",
                             "embedding_dim", "embedding"],
                )
                passages = _unit(np.repeat(chunk_vectors, 3, axis=0) + rng.normal(0, 0.02, (3 * n, DIM)))
                await conn.copy_records_to_table(
                    "knowledge_passages",
                    records=[(f"{name}-{i // 3}", i % 3, "p", name, DIM, passages[i]) for i in range(3 * n)],
                    columns=["chunk_id", "ordinal", "content", "embedding_model", "embedding_dim", "embedding"],
                )
                await conn.execute("VACUUM ANALYZE knowledge_chunks")
                await conn.execute("VACUUM ANALYZE knowledge_passages")
            finally:
                await conn.close()
            await build_index(url, name)
            for n_vectors in (1, 2):
                lat: dict[bool, list[float]] = {False: [], True: []}
                for i in range(len(vectors)):
                    qv = [vectors[i], vectors[(i + 1) % len(vectors)]][:n_vectors]
                    for hnsw in (False, True) if i % 2 else (True, False):
                        started = time.perf_counter()
                        async with sessions() as session, session.begin():
                            if hnsw:
                                for v in qv:
                                    await store.vector_search(session, v, name, DIM, store.Filters(), K, hnsw=True)
                            else:
                                await passage_store.passage_vector_search(session, qv, name, DIM, store.Filters(), K)
                        lat[hnsw].append((time.perf_counter() - started) * 1000)
                print(f"{n:>8,} {n_vectors:>8} {pct(lat[False], 50):17.1f}ms {pct(lat[False], 95):5.1f}ms "
                      f"{pct(lat[True], 50):7.1f}ms {pct(lat[True], 95):5.1f}ms", flush=True)
    finally:
        await engine.dispose()


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def load_avg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def run(url: str, sizes: list[int], n_queries: int, repeats: int, stress: bool,
              cross: list[int] | None, before: bool = False) -> None:
    docs = [load_document(p) for p in corpus_files(CORPUS_DIR)]
    chunks = [(j, c) for j, d in enumerate(docs) for c in chunk_document(d)]
    model = load_minilm()
    anchors = model.encode([c.content for _, c in chunks], normalize_embeddings=True)
    anchor_doc = np.array([j for j, _ in chunks])
    labelled = load_questions()
    picked = [(i % len(labelled)) for i in range(n_queries)]
    queries = [(i, labelled[i].q) for i in picked]
    kinds = [q.kind for q in labelled]
    if cross:
        vectors = [list(map(float, v)) for v in model.encode([q for _, q in queries], normalize_embeddings=True)]
        print(f"crossover (load average before: {load_avg()})", end="")
        await crossover(url, cross, anchors, anchor_doc, docs, vectors)
        print(f"load average after: {load_avg()}")
        return
    datasets: dict[str, tuple[Callable, int]] = {f"corpus-{n}": (corpus_shaped, n) for n in sizes}
    big = max(sizes)
    if stress:
        datasets |= {f"mix-{big}": (two_chunk_mix, big), f"uniform-{big}": (uniform, big)}
    started = time.perf_counter()
    await load(url, datasets, anchors, anchor_doc, docs)
    print(f"loaded {sum(n for _, n in datasets.values()):,} synthetic chunks in {time.perf_counter() - started:.1f} s"
          f" ({len(anchors)} real chunks as anchors, {len(labelled)} labelled questions)")
    builds = {}
    for name in datasets:
        builds[name] = await build_index(url, name)
    took = ", ".join(f"{name} {s:.1f} s" for name, s in builds.items())
    print(f"HNSW m={hnsw_indexes.HNSW_M} ef_construction={hnsw_indexes.HNSW_EF_CONSTRUCTION}; build: {took}")
    embedder = MiniLMEmbedder()
    await embedder.warm_up()
    # as the bot does once warmed up (bot/process/heap.py): full collections skip the start-up heap
    freeze_startup_heap()
    filters = filter_sets(kinds)
    plan = [(f"corpus-{n}", f) for n in sizes for f in (("-", "own kind", "safety") if n < big else filters)]
    if stress:
        plan += [(f"mix-{big}", "-"), (f"uniform-{big}", "-")]
    print(f"\nk={K} (retriever candidates); latency = MiniLM query embedding + pooled session + SQL; "
          f"medians of {repeats} repeats x {n_queries} queries; load average before: {load_avg()}")
    header = (f"{'data set':>15} {'filter':>10} {'exact p50':>10} {'exact p95':>10} {'HNSW p50':>9} {'HNSW p95':>9} "
              f"{'p95 HNSW/exact':>15} {'recall@5':>9} {'recall@20':>10}")
    if before:
        header += f" {'before p50':>11} {'before p95':>11} {'before r@5':>11}"
    print(header)
    for name, fname in plan:
        r = await measure(url, name, queries, embedder, filters[fname], repeats, before)
        line = (f"{name:>15} {fname:>10} {r['exact p50']:8.1f}ms {r['exact p95']:8.1f}ms {r['hnsw p50']:7.1f}ms "
                f"{r['hnsw p95']:7.1f}ms {r['hnsw p95'] / r['exact p95']:14.2f}x {r['recall@5']:9.3f} "
                f"{r['recall@20']:10.3f}")
        if before:
            line += f" {r['before p50']:9.1f}ms {r['before p95']:9.1f}ms {r['before recall@5']:11.3f}"
        print(line, flush=True)
    print(f"load average after: {load_avg()}")
    texts = [q for _, q in queries[:100]]
    vectors = [list(map(float, v)) for v in model.encode(texts, normalize_embeddings=True)]
    parts = await components(url, f"corpus-{big}", vectors, texts, embedder)
    print(f"\none HNSW query at {big:,}, medians in ms: {parts}")
    print("(exact recall is 1 by definition; ratio < 1 means HNSW is faster)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=132, help="labelled questions, cycled (132 = each once)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-stress", action="store_true", help="skip the mix and uniform stress rows")
    parser.add_argument("--before", action="store_true", help="also time the search before migration 0019_h22 "
                        "(filters on the joined document, one index per model) as a peer, query by query")
    parser.add_argument("--crossover", default="", help="instead: exact (with passages) vs HNSW at these sizes, "
                        "e.g. 300,1000,2000,5000,10000,20000 (how RetrievalConfig.hnsw_threshold was chosen)")
    args = parser.parse_args()
    from devtools.embedded_servers import EmbeddedPostgres
    from domain import migrate

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="faraday-bench-")) / "pg", database="bench")
    url = server.start()
    try:
        migrate.upgrade(url)
        cross = [int(s) for s in args.crossover.split(",")] if args.crossover else None
        asyncio.run(run(url, [int(s) for s in args.sizes.split(",")], args.queries, args.repeats,
                        not args.no_stress, cross, args.before))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
