"""plan_lesson end to end on the real corpus (MiniLM, Postgres): complete, cited plans whose minutes add up."""

from __future__ import annotations

import pytest

from domain.lessons import NOTES, TIMED, LessonPlanDraft, LessonPlanResult, LessonRequest, allocate
from knowledge.lesson_builder import assemble
from knowledge.lesson_material import find_unit
from tests.support.lessons import Deps
from tools.plan_lesson import plan_lesson

CASES = [(0, "skipping"), (0, "throwing and catching"), (2, "dance"), (3, "gymnastics balance"), (4, "modified soccer"),
         (5, "sportsmanship"), (6, "fitness testing"), (7, "volleyball"), (8, "softball batting"), (9, "orienteering"),
         (10, "defensive driving"), (11, "pickleball"), (12, "personal fitness planning")]
DURATIONS = [20, 25, 31, 45, 50, 58, 60, 77, 90]


def test_allocated_minutes_sum_exactly_to_every_duration_from_10_to_120() -> None:
    for duration in range(10, 121):
        for weights in ([0.15, 0.35, 0.35, 0.15], [1.0, 1.0, 1.0], [3.0, 7.0, 11.0, 2.0]):
            shares = allocate(duration, weights)
            assert sum(shares) == duration and min(shares) >= 1, (duration, weights, shares)


async def test_timings_sum_to_the_duration_for_every_grade_topic_and_length(retriever) -> None:  # type: ignore[no-untyped-def]
    for grade, topic in CASES:
        unit = await find_unit(retriever, grade, topic)
        assert unit is not None, (grade, topic)
        for duration in DURATIONS:
            for variation in (0, 3):
                plan = assemble(LessonRequest(grade=grade, topic=topic, duration_minutes=duration,
                                              variation=variation), unit)
                assert sum(getattr(plan, n).minutes for n in TIMED) == duration, (grade, topic, duration)
                assert all(getattr(plan, n).minutes >= 1 for n in TIMED)


async def test_every_section_is_present_and_cited_with_this_turns_labels(deps: Deps, alex) -> None:  # type: ignore[no-untyped-def]
    turn = deps(alex)
    result = await plan_lesson({"grade": 5, "topic": "volleyball lead-up games", "duration_minutes": 40,
                                "equipment": None, "class": None}, turn)
    assert result.for_model["status"] == "proposed", result.for_model
    shown = result.display[0]
    assert isinstance(shown, LessonPlanResult)
    plan: LessonPlanDraft = shown.plan
    labels = {s.label for s in plan.citations}
    assert plan.objectives and all(o.cites and set(o.cites) <= labels for o in plan.objectives)
    for name in (*TIMED, *NOTES):
        section = getattr(plan, name)
        assert section.cites and set(section.cites) <= labels, name
        assert (section.activities if name in TIMED else section.items), name
    assert any("outcome" in s.section.lower() for s in plan.citations if s.label in plan.objectives[0].cites)
    assert any(item.startswith("Exit ticket:") for item in plan.assessment.items)
    # the card's [n] are this turn's citation numbers, so the answer and the Teams citations agree
    assert [c.chunk_id for c in turn.citations.items] == [s.chunk_id for s in sorted(plan.citations, key=lambda s: s.label)]
    assert [c.chunk_id for c in result.citations] == [s.chunk_id for s in plan.citations]
    assert {s["minutes"] for s in result.for_model["sections"]} and \
        sum(s["minutes"] for s in result.for_model["sections"]) == 40
    assert all(s["cite"].startswith("[") for s in result.for_model["sections"])


async def test_labels_continue_after_sources_already_cited_in_the_turn(deps: Deps, alex) -> None:  # type: ignore[no-untyped-def]
    from tools.search_knowledge import search_knowledge

    turn = deps(alex)
    await search_knowledge({"query": "lightning 30-30 rule", "kind": "safety"}, turn)
    already = len(turn.citations.items)
    assert already > 0
    result = await plan_lesson({"grade": 9, "topic": "orienteering", "duration_minutes": 50, "equipment": None,
                                "class": None}, turn)
    assert min(s.label for s in result.display[0].plan.citations) == already + 1


@pytest.mark.parametrize(("grade", "topic"), [(8, "ultimate frisbee"), (7, "boccia"), (4, "underwater basket weaving"),
                                              (6, "flag football")])
async def test_a_topic_with_no_curriculum_unit_gets_an_honest_answer_and_no_plan(deps: Deps, alex, grade: int,  # type: ignore[no-untyped-def]
                                                                                  topic: str) -> None:
    turn = deps(alex)
    result = await plan_lesson({"grade": grade, "topic": topic, "duration_minutes": 45, "equipment": None,
                                "class": None}, turn)
    assert result.for_model["status"] == "no_unit"
    assert "no unit" in result.for_model["message"] and "won't make up" in result.for_model["message"]
    assert result.display == [] and result.citations == [] and turn.citations.items == []


async def test_a_grade_without_its_own_unit_borrows_the_nearest_and_says_so(deps: Deps, alex) -> None:  # type: ignore[no-untyped-def]
    result = await plan_lesson({"grade": 7, "topic": "Volleyball", "duration_minutes": 45, "equipment": None,
                                "class": None}, deps(alex))
    plan = result.display[0].plan
    assert "Volleyball" in plan.unit and "3-5" in plan.unit
    assert any("grades 3-5" in note for note in plan.notes)
    assert result.for_model["notes"] == plan.notes


async def test_regenerate_variations_differ_and_are_deterministic(retriever) -> None:  # type: ignore[no-untyped-def]
    unit = await find_unit(retriever, 1, "hopping and jumping")
    assert unit is not None
    first, again, second = (assemble(LessonRequest(grade=1, topic="hopping and jumping", variation=v), unit)
                            for v in (0, 0, 1))
    assert first == again
    assert first.warm_up.activities != second.warm_up.activities
    assert first.game_or_application.activities != second.game_or_application.activities
    assert first.duration_minutes == second.duration_minutes == 45


async def test_the_class_argument_links_the_plan_to_the_callers_class(deps: Deps, alex) -> None:  # type: ignore[no-untyped-def]
    result = await plan_lesson({"grade": 7, "topic": "volleyball", "duration_minutes": None, "equipment": ["cones"],
                                "class": "Period 3"}, deps(alex))
    shown = result.display[0]
    assert shown.request.class_id is not None and shown.plan.class_size and shown.plan.duration_minutes == 45
    assert shown.plan.available_equipment == ["cones"]
    unknown = await plan_lesson({"grade": 7, "topic": "volleyball", "duration_minutes": 45, "equipment": None,
                                 "class": "Period 9"}, deps(alex))
    assert unknown.display[0].request.class_id is None
    assert any("couldn't match" in n for n in unknown.display[0].plan.notes)


async def test_invalid_arguments_come_back_as_a_message_the_model_can_act_on(deps: Deps, alex) -> None:  # type: ignore[no-untyped-def]
    result = await plan_lesson({"grade": 14, "topic": "volleyball", "duration_minutes": 5, "equipment": None,
                                "class": None}, deps(alex))
    assert result.is_error and "grade" in result.for_model["error"] and "duration_minutes" in result.for_model["error"]
