"""Preparing a lesson plan: find the curriculum unit, have the writer (offline or the model) write the plan, validate
it and number its sources. Shared by the plan_lesson tool and the lesson card's Regenerate; nothing is saved here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain.lessons import LessonPlanResult, LessonRequest, LessonService, Source, relabel, validate_plan
from knowledge.lesson_builder import LessonWriter
from knowledge.lesson_material import find_unit, units_for
from knowledge.retriever import Retriever


@dataclass(frozen=True, slots=True)
class NoUnit:
    """The curriculum has no unit for the request: say so, never invent a plan."""

    message: str
    units: list[str]


class LessonPlanner:
    def __init__(self, retriever: Retriever, writer: LessonWriter, lessons: LessonService) -> None:
        self._retriever = retriever
        self._writer = writer
        self._lessons = lessons

    async def prepare(self, request: LessonRequest, *, number: Callable[[Source], int],
                      notes: list[str] | None = None) -> LessonPlanResult | NoUnit:
        """The plan for ``request``, its sources renumbered by ``number`` (the turn's citation labels)."""
        unit = await find_unit(self._retriever, request.grade, request.topic)
        if unit is None:
            units = await units_for(self._retriever, request.grade)
            grade = "K" if request.grade == 0 else str(request.grade)
            message = (f"The district curriculum has no unit on {request.topic} for grade {grade}, so I won't make "
                       "up a plan. " + (f"Units for grade {grade}: {'; '.join(units)}." if units else ""))
            return NoUnit(message=message.strip(), units=units)
        written = await self._writer.write(request, unit)
        plan = relabel(validate_plan(written.plan.model_dump()), number)  # checked here too, whichever writer wrote it
        plan = plan.model_copy(update={"notes": [*(notes or []), *written.notes, *plan.notes][:8]})
        return LessonPlanResult(key=self._lessons.new_key(), plan=plan, request=request, writer=written.writer)
