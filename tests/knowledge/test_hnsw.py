"""HNSW search stays correct with filters: same top hits as the exact scan, only rows that pass, never fewer rows
than the exact scan, nothing at all when no document passes; a filter's scope index is the one searched, a filter
passing few chunks is answered by the exact scan; the indexes are rebuilt when their parameters change."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from knowledge import hnsw_indexes, store
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


@pytest.fixture
def always_hnsw(monkeypatch):  # type: ignore[no-untyped-def]
    """The corpus's 277 chunks are below the exact-scan threshold: search the HNSW indexes anyway."""
    monkeypatch.setattr(store, "EXACT_BELOW", 1)


async def test_filtered_hnsw_search_returns_the_exact_top_hits_and_only_rows_that_pass(
    corpus_sessions, minilm, always_hnsw
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


async def test_a_filter_no_document_passes_returns_nothing(corpus_sessions, minilm, always_hnsw) -> None:
    vector = await minilm.embed_query("lesson plan for nurses")
    nobody = store.Filters(kind="curriculum", audience="nurses")  # no curriculum document is for nurses
    assert await _search(corpus_sessions, vector, nobody, 20, hnsw=False) == []
    assert await _search(corpus_sessions, vector, nobody, 20, hnsw=True) == []


async def test_when_fewer_chunks_pass_than_asked_for_hnsw_returns_all_of_them(
    corpus_sessions, minilm, always_hnsw
) -> None:
    vector = await minilm.embed_query("inhaler before exercise")
    few = store.Filters(kind="safety", audience="nurses", grade_low=0, grade_high=0)
    exact = await _search(corpus_sessions, vector, few, 500, hnsw=False)
    approx = await _search(corpus_sessions, vector, few, 500, hnsw=True)
    assert 0 < len(exact) < 500
    assert [r.id for r in approx] == [r.id for r in exact]


async def test_scan_settings_and_the_passing_count_do_not_outlive_the_transaction(corpus_sessions) -> None:
    async with corpus_sessions() as session:
        async with session.begin():
            assert await store._hnsw_settings(session, store.Filters(), 20, MINILM_NAME, MINILM_DIM) is None
            assert int((await session.execute(text("SHOW hnsw.ef_search"))).scalar_one()) == store.HNSW_EF_SEARCH
            assert (await session.execute(text("SHOW hnsw.iterative_scan"))).scalar_one() == "relaxed_order"
            assert int((await session.execute(text("SHOW hnsw.max_scan_tuples"))).scalar_one()) == (
                store.HNSW_MAX_SCAN_TUPLES)
            nurses = store.Filters(audience="nurses")
            passing = await store._hnsw_settings(session, nurses, 20, MINILM_NAME, MINILM_DIM)
            counted = (await session.execute(text(
                "SELECT count(*) FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id "
                "WHERE d.approved AND d.audience IN ('nurses', 'all-staff') AND c.embedding_model = :m"),
                {"m": MINILM_NAME})).scalar_one()
            assert passing == counted > 0
            assert int((await session.execute(text("SHOW hnsw.ef_search"))).scalar_one()) == (
                store.HNSW_EF_SEARCH_FILTERED)
            assert await store._hnsw_settings(session, nurses, 200, MINILM_NAME, MINILM_DIM) == counted
            assert int((await session.execute(text("SHOW hnsw.ef_search"))).scalar_one()) == 400  # 2k
        connection = await session.connection()
        assert (await connection.execute(text("SHOW hnsw.iterative_scan"))).scalar_one() in ("off", "")


SCOPED = [
    (store.Filters(kind="safety"), "safety"),
    (store.Filters(kind="curriculum", grade_low=3, grade_high=5), "curriculum_3_5"),
    (store.Filters(kind="curriculum", grade_low=4, grade_high=4), "curriculum_3_5"),
    (store.Filters(kind="curriculum", grade_low=6, grade_high=12), "curriculum"),  # spans two school bands
    (store.Filters(audience="nurses"), "nurses"),
    (store.Filters(grade_low=0, grade_high=2), None),  # no scope for a grade band alone: the model's index
    (store.Filters(), None),
]


@pytest.mark.parametrize(("filters", "suffix"), SCOPED)
async def test_a_filtered_search_walks_the_index_holding_the_chunks_its_filter_passes(
    corpus_sessions, minilm, filters: store.Filters, suffix: str | None
) -> None:
    vector = await minilm.embed_query("dribbling with the non-dominant hand")
    scope = hnsw_indexes.scope_for(filters)
    assert (scope.suffix if scope else None) == suffix
    expected = hnsw_indexes.scope_index_name(MINILM_NAME, scope) if scope else hnsw_indexes.hnsw_index_name(MINILM_NAME)
    async with corpus_sessions() as session, session.begin():
        await store._hnsw_settings(session, filters, 20, MINILM_NAME, MINILM_DIM)
        # 277 chunks: reading them all and sorting is cheaper; at 100k the planner picks the index (bench.retrieval)
        await session.execute(text("SET LOCAL enable_sort = off"))
        sql, params = store._vector_sql(vector, MINILM_NAME, MINILM_DIM, filters, 20, hnsw=True)
        plan = [line for line in (await session.execute(text("EXPLAIN " + sql.text), params)).scalars()
                if "Scan" in line]
    assert f"Index Scan using {expected} " in plan[0], plan


async def test_a_filter_passing_few_chunks_is_answered_by_the_exact_scan(corpus_sessions, minilm, monkeypatch) -> None:
    vector = await minilm.embed_query("volleyball forearm pass cues")
    few = store.Filters(kind="curriculum", grade_low=3, grade_high=5)  # 49 of the corpus's 277 chunks
    many = store.Filters(kind="safety")  # 163
    ran: list[bool] = []
    real = store._vector_sql

    def spy(*args, hnsw: bool):  # type: ignore[no-untyped-def]
        ran.append(hnsw)
        return real(*args, hnsw=hnsw)

    monkeypatch.setattr(store, "_vector_sql", spy)
    monkeypatch.setattr(store, "EXACT_BELOW", 100)
    exact = await _search(corpus_sessions, vector, few, 20, hnsw=False)
    ran.clear()
    assert [r.id for r in await _search(corpus_sessions, vector, few, 20, hnsw=True)] == [r.id for r in exact]
    assert ran == [False]
    ran.clear()
    assert len(await _search(corpus_sessions, vector, many, 20, hnsw=True)) == 20
    assert ran == [True]


async def test_every_scope_index_is_built_with_the_models_index(sessions) -> None:
    async with sessions() as session, session.begin():
        assert await hnsw_indexes.ensure_hnsw_index(session, "fake-embedder", 384)
        rows = (await session.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'knowledge_chunks' "
            "AND indexname LIKE 'ix_knowledge_chunks_hnsw_%'"))).all()
    defs = dict(rows)
    assert hnsw_indexes.hnsw_index_name("fake-embedder") in defs
    for scope in hnsw_indexes.SCOPES:
        definition = defs[hnsw_indexes.scope_index_name("fake-embedder", scope)]
        assert "embedding_model)::text = 'fake-embedder'" in definition and "USING hnsw" in definition
    assert len(defs) == 1 + len(hnsw_indexes.SCOPES)


async def test_an_index_built_with_other_parameters_is_rebuilt_once(sessions) -> None:
    name = hnsw_indexes.hnsw_index_name(CountingEmbedder().name)
    async with sessions() as session, session.begin():
        await session.execute(text(
            f"CREATE INDEX {name} ON knowledge_chunks USING hnsw ((embedding::vector(384)) vector_ip_ops) "
            "WHERE embedding_model = 'fake-embedder'"
        ))
        assert await hnsw_indexes.ensure_hnsw_index(session, "fake-embedder", 384)
        assert not await hnsw_indexes.ensure_hnsw_index(session, "fake-embedder", 384)
        options = (await session.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = :n"), {"n": name}
        )).scalar_one()
    assert sorted(options) == sorted([f"m={hnsw_indexes.HNSW_M}", f"ef_construction={hnsw_indexes.HNSW_EF_CONSTRUCTION}"])
