"""The second stage: MiniLM's word-piece table as a soft token match, the combined score, and where it applies."""

from __future__ import annotations

import pytest

from knowledge.embedders import MINILM_NAME
from knowledge.rerank import TokenMatcher, combined_scores, matcher_for
from knowledge.retriever import RetrievalConfig, Retriever


@pytest.fixture(scope="module")
def matcher() -> TokenMatcher:
    found = matcher_for(MINILM_NAME)
    assert found is not None
    return found


def test_the_matcher_exists_for_minilm_only_and_is_loaded_once() -> None:
    assert matcher_for("text-embedding-3-small") is None and matcher_for("fake-embedder") is None
    assert matcher_for(MINILM_NAME) is matcher_for(MINILM_NAME)


def test_a_text_with_the_querys_words_or_their_forms_scores_higher(matcher: TokenMatcher) -> None:
    query = matcher.query_ids("swollen ankle after a fall?")
    same, related, other = matcher.scores(query, [
        "Ice the swollen ankle after a fall.", "Swelling of the ankles: elevate and ice.", "Bus schedule for Friday.",
    ])
    assert same == pytest.approx(1.0, abs=1e-5) and same > related > other > 0


def test_punctuation_is_not_part_of_the_query_unless_nothing_else_is(matcher: TokenMatcher) -> None:
    assert matcher.query_ids("ankle?!") == matcher.query_ids("ankle")
    assert matcher.query_ids("?!")  # only punctuation: kept rather than an empty query
    assert matcher.scores([], ["anything"]) == [0.0]
    assert matcher.scores(matcher.query_ids("ankle"), []) == []
    assert matcher.scores(matcher.query_ids("ankle"), ["", "ankle"]) == [0.0, pytest.approx(1.0, abs=1e-5)]


def test_the_combined_score_adds_similarity_token_match_and_the_full_text_rank_term() -> None:
    scores = combined_scores([0.5, 0.5, 0.4], [0.2, 0.2, 0.2], [1, None, 11], token_weight=1.25, text_weight=0.1,
                             rrf_k=10)
    assert scores == pytest.approx([0.5 + 0.25 + 0.1, 0.5 + 0.25, 0.4 + 0.25 + 0.1 * 11 / 21])


async def test_the_shipped_search_rescores_both_arms_candidates(corpus_sessions, minilm) -> None:
    # the second stage alone (the topic judge may then move the documents naming the message's topic first)
    retriever = Retriever(corpus_sessions, minilm, RetrievalConfig(topics=False))
    found = await retriever.retrieve("what do I do about a bloody nose in PE")
    ids = {h.chunk_id for h in found.vector} | {h.chunk_id for h in found.text}
    assert {h.chunk_id for h in found.fused} == ids  # every candidate, once
    assert [h.score for h in found.fused] == sorted((h.score for h in found.fused), reverse=True)
    assert all(h.similarity is not None for h in found.fused)  # full-text-only candidates got theirs too
    assert found.fused[0].chunk_id.startswith("bleeding-control-bloodborne-pathogens#")
    rrf = await Retriever(corpus_sessions, minilm, RetrievalConfig(rerank=False, topics=False)).retrieve(
        "what do I do about a bloody nose in PE")
    assert [h.chunk_id for h in rrf.vector] == [h.chunk_id for h in found.vector]  # the arms themselves are unchanged
    assert found.abstain == rrf.abstain and found.best_similarity == rrf.best_similarity
