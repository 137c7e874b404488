"""HNSW search stays correct with filters: same top hits as the exact scan, only rows that pass, never fewer rows
than the exact scan, nothing at all when no document passes; the index is rebuilt when its parameters change."""

from __future__ import annotations

import math

from sqlalchemy import text

from knowledge import store
from knowledge.documents import grade_range
from knowledge.embedders import MINILM_DIM, MINILM_NAME
from tests.support.knowledge import CountingEmbedder

FILTERS = [
    store.Filters(),
    store.Filters(kind="safety"),
    store.Filters(kind="curriculum"),
    store.Filters(grade_low=0, grade_high=2),
    store.Filters(audience="nurses"),
    store.Filters(kind="curriculum", grade_low=9, grade_high=12),
    store.Filters(kind="safety", grade_low=3, grade_high=5, audience="coaches"),
]
QUERIES = ["heat stroke cold water immersion", "volleyball forearm pass cues", "student collapsed not breathing AED"]


def _passes(row, f: store.Filters) -> bool:  # type: ignore[no-untyped-def]
    if f.kind and row.kind != f.kind:
        return False
    if f.audience and row.audience not in (f.audience, "all-staff"):
        return False
    if f.grade_low is not None and f.grade_high is not None:
        low, high = grade_range(row.grade_band)
        return low <= f.grade_high and high >= f.grade_low
    return True


async def _search(sessions, vector, f: store.Filters, k: int, *, hnsw: bool):  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        return await store.vector_search(session, vector, MINILM_NAME, MINILM_DIM, f, k, hnsw=hnsw)


async def test_filtered_hnsw_search_returns_the_exact_top_hits_and_only_rows_that_pass(
    corpus_sessions, minilm
) -> None:
    for query in QUERIES:
        vector = await minilm.embed_query(query)
        for f in FILTERS:
            exact = await _search(corpus_sessions, vector, f, 20, hnsw=False)
            approx = await _search(corpus_sessions, vector, f, 20, hnsw=True)
            assert len(approx) == len(exact) > 0, (query, f)
            assert [r.id for r in approx[:5]] == [r.id for r in exact[:5]], (query, f)
            assert all(_passes(r, f) for r in approx), (query, f)
            sims = [r.similarity for r in approx]
            assert sims == sorted(sims, reverse=True)


async def test_a_filter_no_document_passes_returns_nothing(corpus_sessions, minilm) -> None:
    vector = await minilm.embed_query("lesson plan for nurses")
    nobody = store.Filters(kind="curriculum", audience="nurses")  # no curriculum document is for nurses
    assert await _search(corpus_sessions, vector, nobody, 20, hnsw=False) == []
    assert await _search(corpus_sessions, vector, nobody, 20, hnsw=True) == []


async def test_when_fewer_chunks_pass_than_asked_for_hnsw_returns_all_of_them(corpus_sessions, minilm) -> None:
    vector = await minilm.embed_query("inhaler before exercise")
    few = store.Filters(kind="safety", audience="nurses", grade_low=0, grade_high=0)
    exact = await _search(corpus_sessions, vector, few, 500, hnsw=False)
    approx = await _search(corpus_sessions, vector, few, 500, hnsw=True)
    assert 0 < len(exact) < 500
    assert [r.id for r in approx] == [r.id for r in exact]


async def test_search_width_follows_the_filter_and_does_not_outlive_the_transaction(corpus_sessions) -> None:
    async with corpus_sessions() as session:
        async with session.begin():
            everything = await store._hnsw_settings(session, store.Filters(), 20)
            wide = (await session.execute(text("SHOW hnsw.ef_search"))).scalar_one()
            assert everything == 1.0 and int(wide) == store.HNSW_EF_SEARCH
            share = await store._hnsw_settings(session, store.Filters(audience="nurses"), 20)
            assert 0 < share < 1
            width = int((await session.execute(text("SHOW hnsw.ef_search"))).scalar_one())
            assert width == min(store.HNSW_EF_SEARCH_MAX, math.ceil(store.HNSW_EF_SEARCH / share))
            assert (await session.execute(text("SHOW hnsw.iterative_scan"))).scalar_one() == "relaxed_order"
        connection = await session.connection()
        assert (await connection.execute(text("SHOW hnsw.iterative_scan"))).scalar_one() in ("off", "")


async def test_an_index_built_with_other_parameters_is_rebuilt_once(sessions) -> None:
    name = store.hnsw_index_name(CountingEmbedder().name)
    async with sessions() as session, session.begin():
        await session.execute(text(
            f"CREATE INDEX {name} ON knowledge_chunks USING hnsw ((embedding::vector(384)) vector_ip_ops) "
            "WHERE embedding_model = 'fake-embedder'"
        ))
        assert await store.ensure_hnsw_index(session, "fake-embedder", 384)
        assert not await store.ensure_hnsw_index(session, "fake-embedder", 384)
        options = (await session.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = :n"), {"n": name}
        )).scalar_one()
    assert sorted(options) == sorted([f"m={store.HNSW_M}", f"ef_construction={store.HNSW_EF_CONSTRUCTION}"])
