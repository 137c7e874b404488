"""knowledge.topics: what the documents don't cover, judged from the documents (title, headings, opening section) and
the message's nearest catalogue topic over MiniLM; used by the protocol answer to abstain and name the topic."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.action_answer import protocol_answer
from knowledge.ingest import ingest
from knowledge.retriever import Retriever
from knowledge.topics import CATALOGUE, Topic, TopicIndex, covered, topic_index

LICE = next(t for t in CATALOGUE if t.name == "head lice")


def test_a_topic_is_covered_only_when_a_document_names_one_of_its_terms_in_its_scope() -> None:
    scope = "head lice screening\n## nits and treatment\nthis procedure covers licensed staff"
    assert covered(LICE, scope)
    assert not covered(LICE, "this procedure is for licensed staff")  # a word boundary, not a prefix
    assert covered(Topic("x", ("tornado",), ()), "tornadoes and high winds")  # plural ending


def test_a_topics_closeness_is_the_mean_of_its_k_nearest_examples() -> None:
    import numpy as np

    topics = [Topic("a", ("a",), ("x", "y", "z")), Topic("b", ("b",), ("w",))]
    texts, owners = TopicIndex.texts(topics)
    assert texts == ["a", "x", "y", "z", "b", "w"] and owners == [0, 0, 0, 0, 1, 1]
    at = {0.0: [0.0, 1.0], 1.0: [1.0, 0.0], 0.8: [0.8, 0.6], 0.6: [0.6, 0.8], 0.9: [0.9, 0.436], 0.1: [0.1, 0.995]}
    vectors = np.array([at[s] for s in (0.0, 1.0, 0.8, 0.6, 0.9, 0.1)], dtype=np.float32)  # similarity to [1, 0]
    query = [1.0, 0.0]
    assert TopicIndex(topics, vectors, owners, k=1).similarities(query) == pytest.approx([1.0, 0.9])
    # a: (1.0 + 0.8 + 0.6) / 3; b has two examples: the mean of both
    assert TopicIndex(topics, vectors, owners, k=3).similarities(query) == pytest.approx([0.8, 0.5])


@pytest.mark.parametrize(("text", "topic"), [
    # with the stop-32 bank the examples alone also missed "kid dove for the ball, smacked the floor face first and now
    # his neck hurts and hands tingle" and "girl slipped on the pool deck and cracked her head, shes woozy"
    ("landed on her arm off the rings and theres a bump sticking out", "fractures and sprains"),
])
async def test_the_classifier_reads_the_injury_where_the_nearest_examples_follow_the_scene(minilm, text, topic) -> None:
    index = await topic_index()
    assert index.classifier is not None
    vector = (await minilm.embed_documents([text]))[0]
    assert index.judge(vector, "").topic.name == topic
    examples_only = TopicIndex(index.topics, index._vectors, list(index._owners), classifier=None)
    assert examples_only.judge(vector, "").topic.name != topic  # "landed", "off the rings": a spinal injury


async def test_a_clear_topic_needs_distance_from_the_other_side(minilm) -> None:
    index = await topic_index()
    scope = "concussion\nspinal injury\ncardiac arrest cpr aed"
    vector = (await minilm.embed_documents(["a student has head lice"]))[0]
    clear = index.judge(vector, scope)
    assert clear.clear and clear.topic.name == LICE.name and clear.covered is False
    assert not index.judge(vector, scope, margin=2.0).clear  # no topic beats the other side by 2
    covered_now = index.judge(vector, scope + "\nhead lice")  # a document names it: covered
    assert covered_now.clear and covered_now.topic.name == LICE.name and covered_now.covered is True


async def test_an_uncovered_topic_abstains_and_is_named_with_the_close_document_only_as_related(
    corpus_sessions, minilm
) -> None:
    retriever = Retriever(corpus_sessions, minilm)
    found = await protocol_answer(retriever, "a student has head lice", kind="safety", situation=True)
    assert found.status == "no_source" and found.topic == "head lice" and not found.lead
    plain = await retriever.retrieve("a student has head lice", kind="safety")
    assert plain.outside == "head lice" and plain.best_similarity >= 0.45  # similarity alone would have answered


async def test_a_covered_topic_answers_with_its_protocol(corpus_sessions, minilm) -> None:
    found = await protocol_answer(Retriever(corpus_sessions, minilm), "a kid is having a seizure on the mat",
                                  kind="safety", situation=True)
    assert found.status == "found" and found.lead[0].slug == "seizure-first-aid"


async def test_a_document_an_admin_adds_makes_its_topic_covered(sessions, small_corpus: Path, minilm) -> None:
    (small_corpus / "safety" / "head-lice.md").write_text(
        "---\ntitle: Head Lice in PE Classes\nkind: safety\naudience: all-staff\ngrade_band: K-12\nversion: 1.0\n"
        "reviewed_by: District Health Services\nreviewed_on: 2026-01-01\n---\n# Head Lice in PE Classes\n\n"
        "## Purpose\nHead lice are common in schools and are not a health hazard. This procedure covers what PE staff "
        "do when they notice lice or nits.\n\n## Immediate Actions\n1. Send the student to the nurse discreetly.\n"
        "2. Store shared helmets and pinnies apart until they are washed.\n"
    )
    await ingest(sessions, minilm, small_corpus)
    found = await protocol_answer(Retriever(sessions, minilm), "a student has head lice", kind="safety",
                                  situation=True)
    assert found.status == "found" and found.lead[0].slug == "head-lice"


async def test_the_documents_that_name_the_nearest_covered_topic_answer_first(corpus_sessions, minilm) -> None:
    # "cold" leans the passages towards the cold-weather protocol; the message's nearest topic is cardiac arrest (not
    # clearly ahead of every uncovered one, so it does not stop an abstention), which the CPR/AED protocol names.
    retriever = Retriever(corpus_sessions, minilm)
    query = "student passed out cold in the weight room, no breathing"
    plain = await retriever.retrieve(query, kind="safety")
    assert plain.leading == "cardiac arrest"
    assert plain.fused[0].slug == "sudden-cardiac-arrest-cpr-aed"
    assert any(h.slug == "cold-weather-frostbite" for h in plain.fused)  # still a candidate, behind
    found = await protocol_answer(retriever, query, kind="safety", situation=True)
    assert found.lead[0].slug == "sudden-cardiac-arrest-cpr-aed" and found.lead[0].role == "steps"


async def test_of_the_documents_naming_the_topic_the_one_whose_title_names_it_answers(corpus_sessions, minilm) -> None:
    # "cold" is named by the cold-weather protocol's title, by "Cold-Water Immersion" and by the RICE method's cold
    # pack; white, numb fingers after the snow are the cold-weather protocol's, whatever the passages lean to
    retriever = Retriever(corpus_sessions, minilm)
    query = "after the snow walk her fingers are white and hard and she cant feel them"
    found = await retriever.retrieve(query, kind="safety")
    assert found.leading == "cold injuries"
    assert found.fused[0].slug == "cold-weather-frostbite"
    answer = await protocol_answer(retriever, query, kind="safety", situation=True)
    assert answer.lead[0].slug == "cold-weather-frostbite" and answer.lead[0].role == "steps"
    # two topics at once: shaking in the shallow end is water and a seizure; the seizure protocol (whose opening names
    # the pool) answers before the aquatics one, whose title names only the water
    query = "boy in swim class started shaking in the shallow end and his face keeps going under the water"
    found = await retriever.retrieve(query, kind="safety")
    assert found.leading == "water emergencies"
    assert found.fused[0].slug == "seizure-first-aid"


async def test_an_uncovered_topic_abstains_only_when_no_passage_is_as_close(corpus_sessions, minilm) -> None:
    retriever = Retriever(corpus_sessions, minilm)
    lice = await retriever.retrieve("a student has head lice", kind="safety")
    assert lice.outside == "head lice" and lice.outside_similarity > lice.best_similarity
    # the same judgement with a passage closer than the topic: the protocol answers
    lice.outside_similarity = lice.best_similarity - 0.01

    class Fixed:
        async def retrieve(self, query: str, kind: str | None = None) -> object:
            return lice

        async def sections(self, slug: str) -> list[object]:
            return await retriever.sections(slug)

    found = await protocol_answer(Fixed(), "a student has head lice", kind="safety", situation=True)  # type: ignore[arg-type]
    assert found.status == "found"


async def test_heat_stroke_signs_are_the_heat_protocol_never_an_uncovered_fever(corpus_sessions, minilm) -> None:
    # before the heat-illness topic knew heat stroke's classic signs, such a message answered "don't cover fevers"
    found = await protocol_answer(Retriever(corpus_sessions, minilm),
                                  "its 97 out and a boy at football stopped sweating, his skin is hot and hes not "
                                  "making sense", kind="safety", situation=True)
    assert found.status == "found" and found.lead[0].slug == "exertional-heat-stroke-cold-water-immersion"
