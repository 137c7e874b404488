"""A band unit lists its outcomes per grade: a plan's objectives are the requested grade's, not the whole band's."""

from __future__ import annotations

import pytest

from domain.lessons import LessonRequest
from knowledge.lesson_builder import assemble, for_grade
from knowledge.lesson_material import find_unit


@pytest.mark.parametrize(("item", "grade", "fits"), [
    ("Kindergarten: perform walking", 0, True), ("Kindergarten: perform walking", 2, False),
    ("Grade 1: hop, gallop", 1, True), ("Grade 1: hop, gallop", 2, False), ("Grades 6-8: serve", 7, True),
    ("Grades 6–8: serve", 9, False), ("Keep your own space", 4, True),
])
def test_an_outcome_labelled_with_a_grade_applies_to_that_grade_only(item: str, grade: int, fits: bool) -> None:
    assert for_grade(item, grade) is fits


@pytest.mark.parametrize(("grade", "own", "others"), [
    (2, "skip with a mature pattern", ("perform walking, running", "hop, gallop, jog")),
    (0, "perform walking, running", ("skip with a mature pattern", "hop, gallop, jog")),
])
async def test_a_plan_from_a_k2_unit_lists_only_its_grades_outcomes(retriever, grade: int, own: str,  # type: ignore[no-untyped-def]
                                                                   others: tuple[str, ...]) -> None:
    unit = await find_unit(retriever, grade, "locomotor skills skipping")
    assert unit is not None and "Locomotor" in unit.title
    plan = assemble(LessonRequest(grade=grade, topic="locomotor skills skipping", duration_minutes=30), unit)
    objectives = " ".join(o.text for o in plan.objectives)
    assert own in objectives
    assert not any(text in objectives for text in others), objectives
    assert "Grade 2:" not in objectives and "Kindergarten:" not in objectives
