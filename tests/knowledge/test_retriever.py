"""Hybrid retrieval on the real corpus: filters before ranking, approval, the model guard, HNSW, abstention."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.documents import grade_range
from knowledge.ingest import ingest
from knowledge.retriever import RetrievalConfig, Retriever
from tests.support.knowledge import CountingEmbedder


async def test_a_plain_question_finds_its_protocol_section_first(corpus_sessions, minilm) -> None:
    hits = await Retriever(corpus_sessions, minilm).search("how long after thunder before going back outside")
    assert hits and hits[0].chunk_id.startswith("lightning-severe-weather#")
    top = hits[0]
    assert top.title == "Lightning and Severe Weather" or top.title.startswith("Lightning")
    assert top.kind == "safety" and top.version and top.snippet and top.score > 0
    assert hits == sorted(hits, key=lambda h: -h.score)


async def test_the_kind_filter_is_applied_before_ranking(corpus_sessions, minilm) -> None:
    """A safety question filtered to curriculum still fills k slots with curriculum chunks (not a post-filter)."""
    hits = await Retriever(corpus_sessions, minilm, RetrievalConfig(min_similarity=-1, confident_similarity=-1)).search(
        "student collapsed and is not breathing, where is the AED", kind="curriculum", k=5
    )
    assert len(hits) == 5 and {h.kind for h in hits} == {"curriculum"}


async def test_grade_band_and_audience_filters_keep_only_overlapping_documents(corpus_sessions, minilm) -> None:
    retriever = Retriever(corpus_sessions, minilm, RetrievalConfig(min_similarity=-1, confident_similarity=-1))
    found = await retriever.retrieve("skill cues and warm-up ideas for the unit", grade_band="K-2")
    bands = {h.chunk_id.split("#")[0] for h in found.fused}
    assert bands and "grades-9-12-lifetime-sports" not in bands and "grades-6-8-fitness-testing" not in bands
    coaches = await retriever.retrieve("who decides when an athlete can return", audience="coaches")
    assert coaches.fused
    async with corpus_sessions() as session:
        from sqlalchemy import text

        rows = await session.execute(text("SELECT slug, audience, grade_band FROM knowledge_documents"))
        meta = {r.slug: (r.audience, r.grade_band) for r in rows}
    assert all(meta[h.chunk_id.split("#")[0]][0] in ("coaches", "all-staff") for h in coaches.fused)
    for slug in bands:
        low, high = grade_range(meta[slug][1])
        assert low <= 2 and high >= 0


async def test_hnsw_search_with_a_filter_agrees_with_the_exact_scan(corpus_sessions, minilm) -> None:
    exact = Retriever(corpus_sessions, minilm, RetrievalConfig(mode="exact", passages=False))  # HNSW is chunk-level
    hnsw = Retriever(corpus_sessions, minilm, RetrievalConfig(mode="hnsw"))
    for query, kind in (("heat stroke cold water tub", "safety"), ("volleyball bump cues", "curriculum")):
        a = await exact.retrieve(query, kind=kind)
        b = await hnsw.retrieve(query, kind=kind)
        assert [h.chunk_id for h in a.vector[:5]] == [h.chunk_id for h in b.vector[:5]]
        assert {h.kind for h in b.vector} == {kind} and len(b.vector) == exact.config.candidates


async def test_an_unapproved_document_is_never_retrieved(sessions, small_corpus: Path, minilm) -> None:
    draft = small_corpus / "safety" / "zebra-stampede-draft.md"
    draft.write_text(
        "---\ntitle: Zebra Stampede Response\nkind: safety\naudience: all-staff\ngrade_band: K-12\nversion: 0.1\n"
        "reviewed_by: Nobody\nreviewed_on: 2026-01-01\napproved: false\n---\n# Zebra Stampede Response\n\n"
        "## Immediate Actions\nIf zebras stampede across the soccer field, move students behind the bleachers.\n"
    )
    await ingest(sessions, minilm, small_corpus)
    retriever = Retriever(sessions, minilm, RetrievalConfig(min_similarity=-1, confident_similarity=-1))
    found = await retriever.retrieve("zebras stampede across the soccer field")
    assert found.fused and not any(h.chunk_id.startswith("zebra-stampede-draft#") for h in found.fused)


async def test_chunks_of_another_model_or_dimension_are_never_returned(sessions, small_corpus: Path, minilm) -> None:
    lightning = small_corpus / "safety" / "lightning-severe-weather.md"
    other_root = small_corpus.parent / "other"
    other_root.mkdir()
    lightning.rename(other_root / lightning.name)
    await ingest(sessions, minilm, small_corpus)
    await ingest(sessions, CountingEmbedder(name="fake-384", dim=384), other_root / lightning.name)
    with pytest.raises(Exception, match="expected 384 dimensions"):  # the model's HNSW index refuses another dim
        await ingest(sessions, CountingEmbedder(name=minilm.name, dim=8), other_root / lightning.name)
    retriever = Retriever(sessions, minilm, RetrievalConfig(min_similarity=-1, confident_similarity=-1))
    found = await retriever.retrieve("lightning thunder 30 minutes shelter")
    returned = [h.chunk_id for h in found.vector + found.text + found.fused]
    assert returned and not any(cid.startswith("lightning-severe-weather#") for cid in returned)


@pytest.mark.parametrize(
    "question",
    [
        "how does the district budget process work for requesting new PE equipment next fiscal year",
        "what are the rules for the staff holiday party raffle",
        "how do I change my direct deposit bank account",
    ],
)
async def test_questions_no_document_covers_get_no_passages(corpus_sessions, minilm, question: str) -> None:
    assert await Retriever(corpus_sessions, minilm).search(question) == []


async def test_passages_and_the_glossary_lift_a_lay_question_to_its_section(corpus_sessions, minilm) -> None:
    retriever = Retriever(corpus_sessions, minilm)
    found = await retriever.retrieve("what do I do about a bloody nose in PE")
    assert "nosebleed" in found.expansion.split()
    plain = await Retriever(corpus_sessions, minilm, RetrievalConfig(passages=False, glossary=False)).retrieve(
        "what do I do about a bloody nose in PE")
    assert found.best_similarity > plain.best_similarity  # a sentence-level match beats the diluted section


async def test_words_the_corpus_never_uses_are_reported_for_abstention(corpus_sessions, minilm) -> None:
    found = await Retriever(corpus_sessions, minilm).retrieve("scuba diving certification in the pool")
    assert "scuba" in found.unknown and 0 < found.unknown_share < 1


async def test_abstention_thresholds_come_from_the_config(corpus_sessions, minilm) -> None:
    strict = Retriever(corpus_sessions, minilm, replace(RetrievalConfig(), min_similarity=0.99))
    assert await strict.search("lightning 30-30 rule") == []
