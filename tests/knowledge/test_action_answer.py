"""knowledge.action_answer: which section a protocol answer leads with, on the bundled corpus and the shipped MiniLM."""

from __future__ import annotations

from dataclasses import replace

from knowledge.action_answer import NEAREST_FLOOR, ROLES_MARGIN, SAFETY_FLOOR, protocol_answer
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


async def test_the_step_section_whose_heading_names_the_circumstance_is_quoted_with_the_steps(corpus_sessions,
                                                                                              minilm) -> None:
    # "Secure Order While Outdoors" is what the search finds best; the heading "Lockdown Order While Outdoors" names
    # what the message describes (closer to it than the document's title), so that section is quoted too
    retriever = Retriever(corpus_sessions, minilm)
    found = await protocol_answer(retriever, "the office radioed a lockdown while we were out on the soccer field",
                                  kind="safety", situation=True)
    sections = [(h.slug, h.section) for h in found.lead]
    assert ("lockdown-outdoor-pe", "Lockdown Order While Outdoors") in sections
    assert len(found.lead) <= 3  # short: a teacher reads it on a phone
    # a heading no closer to the message than the title is not its circumstance: no second seizure section here
    plain = await protocol_answer(retriever, "a kid is having a seizure on the wrestling mat", kind="safety",
                                  situation=True)
    assert [h.section for h in plain.lead if h.role == "steps"] == ["Immediate Actions: Stay, Safe, Side"]


async def test_a_section_whose_heading_states_a_condition_answers_that_condition(corpus_sessions, minilm) -> None:
    # "When Immersion Is Not Possible" is a step section (domain.section_roles): for a message without a tub it is
    # quoted; the numbered immediate actions stay in the answer
    retriever = Retriever(corpus_sessions, minilm)
    found = await protocol_answer(retriever, "heat stroke at the track meet and there is no cold tub", kind="safety",
                                  situation=True)
    sections = [h.section for h in found.lead]
    assert found.lead[0].slug == "exertional-heat-stroke-cold-water-immersion"
    assert "When Immersion Is Not Possible" in sections and "Immediate Actions" in sections


async def test_asking_whether_an_activity_may_go_on_gets_what_to_do_at_that_reading(corpus_sessions, minilm) -> None:
    # a question, not a situation: the best passages explain the index and how it is checked; the answer is the
    # activity modification table, with what the search found best after it
    retriever = Retriever(corpus_sessions, minilm)
    for query in ("the AQI reading is 180 right now, can we still play soccer outside",
                  "air quality is 158 today, is the outdoor track meet still on"):
        found = await protocol_answer(retriever, query, kind="safety")
        assert found.mode == "action", query
        assert (found.lead[0].section, found.lead[0].role) == ("Activity Modification by AQI", "steps")
        assert len(found.lead) <= 3
    plain = await protocol_answer(retriever, "how often do we check the aqi", kind="safety")
    assert plain.mode == "passages" and plain.lead[0].section == "Checking the AQI"  # how, not whether


async def test_the_documents_best_sections_fill_the_lead_up_to_three(corpus_sessions, minilm) -> None:
    # when the search puts whom-to-notify first and two sections with something to do or know next, both follow the
    # steps (not only the first): three sections at most
    retriever = Retriever(corpus_sessions, minilm)
    query = "smoky outside and a boy keeps coughing, his throat is scratchy"
    found = await retriever.retrieve(query, kind="safety")
    doc = [h for h in found.fused if h.slug == "air-quality-aqi"]
    first = {h.section: h for h in doc}
    order = ["Notification and Roles", "Recognizing Symptoms", "Checking the AQI"]
    assert all(s in first for s in order), [h.section for h in doc]
    # whom to notify first but only just (a notification section clearly first is quoted whole: the test below)
    top = replace(first[order[0]], score=first[order[1]].score + ROLES_MARGIN / 2)
    found.fused = [top] + [first[s] for s in order[1:]] + [h for h in found.fused if h.section not in order]

    class Fixed:
        async def retrieve(self, query: str, kind: str | None = None) -> object:
            return found

        async def sections(self, slug: str) -> list[object]:
            return await retriever.sections(slug)

    answer = await protocol_answer(Fixed(), query, kind="safety", situation=True)  # type: ignore[arg-type]
    lead = [h.section for h in answer.lead]  # the two in the order of their similarity to the message
    assert lead[0] == "Activity Modification by AQI" and set(lead[1:]) == {"Recognizing Symptoms", "Checking the AQI"}
    assert answer.notify is not None and answer.notify.section == "Notification and Roles"


class _Ordered:
    """A retriever whose safety search returns the real hits of one query in a given section order (the rest after)."""

    def __init__(self, retriever: Retriever, found: object) -> None:
        self.retriever, self.found = retriever, found

    async def retrieve(self, query: str, kind: str | None = None) -> object:
        return self.found

    async def sections(self, slug: str) -> list[object]:
        return await self.retriever.sections(slug)


async def _reordered(retriever: Retriever, query: str, slug: str, order: list[str]) -> object:
    found = await retriever.retrieve(query, kind="safety")
    first = {h.section: h for h in reversed(found.fused) if h.slug == slug}  # each section's best chunk
    assert all(s in first for s in order), sorted(first)
    found.fused = [first[s] for s in order] + [h for h in found.fused if h.section not in order]
    return found


async def test_room_left_by_background_and_the_steps_goes_to_the_next_best_section(corpus_sessions, minilm) -> None:
    # the search ranks the purpose and the steps among the document's first three; the section it ranks fourth (what
    # to do about the swelling) still has room in the lead, ahead of anything ranked lower
    retriever = Retriever(corpus_sessions, minilm)
    query = "she twisted her ankle in the relay and it is swelling up"
    order = ["Recognizing the Injury", "Purpose", "Immediate Actions", "The RICE Method", "Return and Follow-Up"]
    found = await _reordered(retriever, query, "fractures-sprains-rice", order)
    answer = await protocol_answer(_Ordered(retriever, found), query, kind="safety",  # type: ignore[arg-type]
                                   situation=True)
    assert [h.section for h in answer.lead] == ["Immediate Actions", "Recognizing the Injury", "The RICE Method"]


async def test_of_the_searchs_first_three_the_section_nearest_the_message_comes_first(corpus_sessions, minilm) -> None:
    # two sections the search ranks alike (fused scores all but tied): the one whose text is nearer the message (how
    # long to wait before going back out: Resuming Activity) takes the room left after the steps
    retriever = Retriever(corpus_sessions, minilm)
    query = "how long after the last thunder do we wait before the class can go back outside"
    order = ["Purpose", "Monitoring the Weather", "Resuming Activity", "Suspending Activity"]
    found = await _reordered(retriever, query, "lightning-severe-weather", order)
    near = {h.section: h.similarity for h in found.fused[:3]}  # type: ignore[attr-defined]
    assert near["Resuming Activity"] > near["Monitoring the Weather"]
    answer = await protocol_answer(_Ordered(retriever, found), query, kind="safety",  # type: ignore[arg-type]
                                   situation=True)
    sections = [h.section for h in answer.lead]
    assert sections[0] == "Suspending Activity" and "Resuming Activity" in sections, sections
    assert len(sections) <= 3


async def test_whom_to_tell_clearly_first_in_the_search_is_quoted_whole(corpus_sessions, minilm) -> None:
    # the message asks how to tell the family: the notification section, clearly the search's best, is quoted whole in
    # the lead (as "notify" it would be cut to its first two sentences, without the interpretation services)
    retriever = Retriever(corpus_sessions, minilm)
    query = "the boy's family only speaks vietnamese, how do i explain his injury to them"
    found = await retriever.retrieve(query, kind="safety")
    doc = [h for h in found.fused if h.slug == "incident-reporting-parent-notification"]
    assert doc[0].section == "Parent and Guardian Notification" and doc[0].role == "roles"
    assert doc[0].score - doc[1].score >= ROLES_MARGIN
    answer = await protocol_answer(retriever, query, kind="safety", situation=True)
    sections = [h.section for h in answer.lead]
    assert sections[0] == "Timelines" and "Parent and Guardian Notification" in sections, sections
    assert answer.notify is None or answer.notify.section != "Parent and Guardian Notification"


async def test_the_section_whose_heading_alone_names_a_word_of_the_message_is_quoted(corpus_sessions, minilm) -> None:
    # "locker" and "secure" are each in one heading of their document only (and not the search's topic): that section
    # follows the steps even where the search ranks it below the lead's room
    retriever = Retriever(corpus_sessions, minilm)
    cases = [("the fire alarm is blaring and three of my girls are still in the locker room getting changed",
              "fire-evacuation-gym-fields", "Immediate Actions", "Locker Rooms and the Pool"),
             ("the principal just announced a secure and my class is out on the track, what do i do with them",
              "lockdown-outdoor-pe", None, "Secure Order While Outdoors")]
    for query, slug, steps, named in cases:
        answer = await protocol_answer(retriever, query, kind="safety", situation=True)
        lead = [(h.slug, h.section) for h in answer.lead]
        assert answer.lead[0].role == "steps" and lead[0][0] == slug and (slug, named) in lead, lead
        assert steps is None or lead[0][1] == steps
        assert len(lead) <= 3


async def test_in_a_situation_a_far_nearest_covered_topic_makes_words_no_document_knows_incidental(corpus_sessions,
                                                                                                     minilm) -> None:
    # slang no document knows ("fella", "footy", "wobbly"), passages far and no topic near enough to lead: the nearest
    # topic is still one a document covers, so a situation happening now is answered, a question is not
    retriever = Retriever(corpus_sessions, minilm)
    query = "young fella at the footy carnival is wobbly and talking gibberish, stinking hot out"
    plain = await retriever.retrieve(query, kind="safety")
    assert plain.nearest_covered >= NEAREST_FLOOR and not plain.leading and not plain.inside and plain.unknown
    found = await protocol_answer(retriever, query, kind="safety", situation=True)
    assert found.status == "found" and found.lead[0].slug == "exertional-heat-stroke-cold-water-immersion"
    assert (await protocol_answer(retriever, query, kind="safety", situation=False)).status == "no_source"
