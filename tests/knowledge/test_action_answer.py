"""knowledge.action_answer: which section a protocol answer leads with, on the bundled corpus and the shipped MiniLM."""

from __future__ import annotations

from knowledge.action_answer import SAFETY_FLOOR, protocol_answer
from knowledge.retriever import Retriever

DIABETES = "diabetes-hypoglycemia-activity"


async def _lead(corpus_sessions, minilm, query: str, *, situation: bool = True) -> list[tuple[str, str]]:
    found = await protocol_answer(Retriever(corpus_sessions, minilm), query, kind="safety", situation=situation)
    assert found.status == "found", found
    return [(h.slug, h.section) for h in found.lead]


async def test_steps_that_open_with_their_own_condition_lead_only_when_the_message_shows_it(corpus_sessions,
                                                                                             minilm) -> None:
    # "Severe Hypoglycemia" opens "If the student is unconscious, having a seizure or cannot safely swallow:"
    mild = await _lead(corpus_sessions, minilm, "my diabetic student is shaky and sweaty and grumpy in basketball")
    assert mild[0] == (DIABETES, "Immediate Actions for Mild to Moderate Lows")
    severe = await _lead(corpus_sessions, minilm, "the diabetic kid passed out and cant swallow anything")
    assert severe[0] == (DIABETES, "Severe Hypoglycemia")


async def test_what_should_i_do_gets_the_steps_not_the_purpose(corpus_sessions, minilm) -> None:
    # a question, not a situation happening now, still asks for what to do (the best passage is the recognition or
    # after-care section; without the question's words these answered with passages, recognition first)
    lead = await _lead(corpus_sessions, minilm, "what should we do if a student collapses and is not breathing",
                       situation=False)
    assert lead[0] == ("sudden-cardiac-arrest-cpr-aed", "Immediate Actions")
    lead = await _lead(corpus_sessions, minilm, "how should i handle a kid who is having a seizure", situation=False)
    assert lead[0] == ("seizure-first-aid", "Immediate Actions: Stay, Safe, Side")


async def test_a_word_no_document_knows_is_incidental_when_the_topic_is_clear_but_the_topic_otherwise(corpus_sessions,
                                                                                                     minilm) -> None:
    retriever = Retriever(corpus_sessions, minilm)
    query = "he ate a granola bar and now his lips are swelling and his voice is hoarse"
    plain = await retriever.retrieve(query, kind="safety")
    assert "granola" in plain.unknown and plain.best_similarity < 0.45  # the word rule alone would abstain...
    assert plain.inside == "allergic reactions"  # ...but the topic is clear, asked about now or ahead of time
    for situation in (True, False):
        found = await protocol_answer(retriever, query, kind="safety", situation=situation)
        assert found.status == "found" and found.lead[0].slug == "anaphylaxis-epinephrine"
    # no topic it knows: the word is the topic ("volcano ash is falling" was one until the example bank's air quality
    # examples took in falling wildfire ash)
    hole = await protocol_answer(retriever, "a sinkhole opened up in the middle of the track", kind="safety",
                                 situation=True)
    assert hole.status == "no_source" and hole.topic == "sinkhole"


async def test_a_clear_covered_topic_answers_however_far_the_passages(corpus_sessions, minilm) -> None:
    retriever = Retriever(corpus_sessions, minilm)
    query = "she bonked her noggin on the trampoline frame and seems loopy"
    plain = await retriever.retrieve(query, kind="safety")
    assert plain.best_similarity < SAFETY_FLOOR and plain.inside  # slang no passage is near; a head injury
    found = await protocol_answer(retriever, query, kind="safety", situation=True)
    assert found.status == "found"
    assert found.lead[0].slug in ("concussion-recognition", "suspected-spinal-injury")


async def test_the_section_about_the_circumstance_follows_the_steps(corpus_sessions, minilm) -> None:
    retriever = Retriever(corpus_sessions, minilm)
    found = await protocol_answer(retriever, "the fire alarm went off while my class was swimming in the pool",
                                  kind="safety", situation=True)
    sections = [(h.slug, h.section) for h in found.lead]
    assert sections[0] == ("fire-evacuation-gym-fields", "Immediate Actions")
    assert ("fire-evacuation-gym-fields", "Locker Rooms and the Pool") in sections[1:]
    assert {h.slug for h in found.lead} == {"fire-evacuation-gym-fields"}  # never another document's section


async def test_a_word_no_document_knows_is_incidental_in_what_clearly_reads_as_an_emergency(corpus_sessions,
                                                                                            minilm) -> None:
    retriever = Retriever(corpus_sessions, minilm)
    query = "kid wiped out on the pogo stick and his wrist is bent weird"
    plain = await retriever.retrieve(query, kind="safety")
    assert "pogo" in plain.unknown and plain.best_similarity < 0.45 and not plain.inside  # no clear topic
    found = await protocol_answer(retriever, query, kind="safety", situation=True)
    assert found.status == "found" and found.lead[0].slug == "fractures-sprains-rice"
    # the same words asked about, not happening now: the unknown word may be the topic
    assert (await protocol_answer(retriever, query, kind="safety", situation=False)).status == "no_source"


async def test_a_question_whose_protocol_has_steps_near_the_top_gets_the_steps(corpus_sessions, minilm) -> None:
    retriever = Retriever(corpus_sessions, minilm)
    found = await protocol_answer(retriever, "by when does the write-up for an injured kid have to be filed",
                                  kind="safety")
    assert found.mode == "action" and (found.lead[0].section, found.lead[0].role) == ("Timelines", "steps")
    plain = await protocol_answer(retriever, "which kids need a buddy in the pool", kind="safety")
    assert plain.mode == "passages"  # no steps section near: the passages that answer


async def test_in_a_situation_happening_now_the_nearest_covered_topic_is_enough_to_answer(corpus_sessions,
                                                                                          minilm) -> None:
    retriever = Retriever(corpus_sessions, minilm)
    query = "the kid in lane 2 sank and i dont see him"
    plain = await retriever.retrieve(query, kind="safety")
    assert plain.best_similarity < SAFETY_FLOOR and not plain.inside and plain.leading  # far passages, unclear topic
    assert (await protocol_answer(retriever, query, kind="safety", situation=True)).status == "found"
    assert (await protocol_answer(retriever, query, kind="safety", situation=False)).status == "no_source"
