"""A chunk carries its document's filter fields (migration 0019_h22's triggers), in the same transaction as the
write: set on insert, moved with the chunk, changed with the document (or not at all when the transaction fails), and
an unapproved document's chunks are found by no search."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from knowledge import store
from knowledge.documents import grade_range
from knowledge.ingest import ingest
from tests.support.knowledge import CountingEmbedder

FIELDS = ("SELECT c.id, c.doc_kind, c.doc_audience, c.grade_low, c.grade_high, c.doc_approved, "
          "d.kind, d.audience, d.grade_band, d.approved FROM knowledge_chunks c "
          "JOIN knowledge_documents d ON d.id = c.document_id")


async def _fields(sessions):  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return (await session.execute(text(FIELDS + " ORDER BY c.id"))).all()


def _agree(row) -> bool:  # type: ignore[no-untyped-def]
    return (row.doc_kind, row.doc_audience, (row.grade_low, row.grade_high), row.doc_approved) == (
        row.kind, row.audience, grade_range(row.grade_band), row.approved)


async def test_ingested_chunks_carry_their_documents_fields(sessions, small_corpus: Path, counting) -> None:
    await ingest(sessions, counting, small_corpus)
    rows = await _fields(sessions)
    assert len(rows) > 20 and all(_agree(r) for r in rows)
    assert {(r.doc_kind, r.grade_low, r.grade_high) for r in rows} == {("safety", 0, 12), ("curriculum", 0, 2)}


async def test_a_document_update_reaches_its_chunks_in_the_same_transaction(
    sessions, small_corpus: Path, counting
) -> None:
    await ingest(sessions, counting, small_corpus)
    change = ("UPDATE knowledge_documents SET kind = 'policy', audience = 'nurses', grade_band = '3', "
              "approved = false WHERE slug = 'concussion-recognition'")
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await session.execute(text(change))
            raise RuntimeError("the transaction fails after the update")
    rows = await _fields(sessions)
    assert all(_agree(r) for r in rows)
    assert {r.doc_kind for r in rows if r.id.startswith("concussion-recognition#")} == {"safety"}

    async with sessions() as session, session.begin():
        await session.execute(text(change))
        inside = (await session.execute(text(
            "SELECT DISTINCT doc_kind, doc_audience, grade_low, grade_high, doc_approved FROM knowledge_chunks "
            "WHERE id LIKE 'concussion-recognition#%'"))).all()
        assert inside == [("policy", "nurses", 3, 3, False)]
    assert all(_agree(r) for r in await _fields(sessions))


async def test_a_chunk_moved_to_another_document_takes_that_documents_fields(
    sessions, small_corpus: Path, counting: CountingEmbedder
) -> None:
    await ingest(sessions, counting, small_corpus)
    async with sessions() as session, session.begin():
        curriculum = (await session.execute(text(
            "SELECT id FROM knowledge_documents WHERE slug = 'k2-locomotor-skills'"))).scalar_one()
        await session.execute(text("UPDATE knowledge_chunks SET document_id = :d WHERE id = 'concussion-recognition#purpose'"),
                              {"d": curriculum})
    [moved] = [r for r in await _fields(sessions) if r.id == "concussion-recognition#purpose"]
    assert _agree(moved) and moved.doc_kind == "curriculum" and (moved.grade_low, moved.grade_high) == (0, 2)


async def test_an_unapproved_documents_chunks_are_found_by_no_search(sessions, small_corpus: Path, counting) -> None:
    await ingest(sessions, counting, small_corpus)
    query = "concussion signs when in doubt sit them out"
    vector = await counting.embed_query(query)

    async def found() -> set[str]:
        slugs: set[str] = set()
        async with sessions() as session, session.begin():
            for hnsw in (False, True):
                for f in (store.Filters(), store.Filters(kind="safety")):
                    rows = await store.vector_search(session, vector, counting.name, counting.dim, f, 50, hnsw=hnsw)
                    slugs |= {r.slug for r in rows}
            rows = await store.text_search(session, query, counting.name, counting.dim, store.Filters(), 50)
            slugs |= {r.slug for r in rows}
        return slugs

    assert "concussion-recognition" in await found()
    async with sessions() as session, session.begin():
        await session.execute(text("UPDATE knowledge_documents SET approved = false "
                                   "WHERE slug = 'concussion-recognition'"))
    assert "concussion-recognition" not in await found()


async def test_a_grade_band_the_migration_cannot_read_passes_no_grade_filter(sessions) -> None:
    async with sessions() as session, session.begin():
        bounds = (await session.execute(text(
            "SELECT band, b.low, b.high FROM unnest(ARRAY['K-12', 'k-2', '7', ' 3 - 5 ', 'K', 'grade 4', '']) AS band, "
            "knowledge_grade_bounds(band) AS b"))).all()
    assert [(b, lo, hi) for b, lo, hi in bounds] == [
        ("K-12", 0, 12), ("k-2", 0, 2), ("7", 7, 7), (" 3 - 5 ", 3, 5), ("K", 0, 0), ("grade 4", None, None),
        ("", None, None)]
