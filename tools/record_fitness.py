"""record_fitness: a fitness-test card (FitnessGram battery) for a class or for the students the user named, with
their results prefilled; nothing is saved until the user presses Save."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.base import FitnessAccess, ToolDeps, ToolResult, tool

TestName = Literal["pacer", "mile_run", "curl_ups", "push_ups", "trunk_lift", "sit_and_reach_left",
                   "sit_and_reach_right"]


class FitnessResultArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student: str = Field(min_length=1, max_length=120, description="The student's name as the user wrote it")
    value: str = Field(min_length=1, max_length=12, description='As the user wrote it: laps or reps ("42"), inches '
                                                                '("9.5"), mile time as minutes:seconds ("9:42")')


class RecordFitnessArgs(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    test: TestName | None = Field(default=None, description="pacer (laps), mile_run (time), curl_ups, push_ups (90°), "
                                                            "trunk_lift (inches), sit_and_reach_left/right (inches); "
                                                            "null if the user did not say")
    class_: str | None = Field(default=None, alias="class", max_length=80,
                               description='The class as the user said it ("period 3"); null if none was named')
    day: str | None = Field(default=None, description="ISO date if the user named another day; null: today")
    results: list[FitnessResultArgs] = Field(default_factory=list, max_length=60,
                                             description="Only results the user gave; empty to open the class's card")


@tool(RecordFitnessArgs)
async def record_fitness(args: RecordFitnessArgs, deps: ToolDeps[FitnessAccess]) -> ToolResult:
    """Open a fitness-test card: one test, one input per student, for a class (whole roster) or for the students the
    user named, with the results they gave prefilled. The user checks it and presses Save; nothing is recorded until
    then. Results are health information: you only get counts back, never repeat or compare students' results, and
    never rank students."""
    service = deps.services.fitness
    if service is None:
        return ToolResult.error("Fitness results can't be recorded here.")
    try:
        day = date.fromisoformat(args.day) if args.day else deps.now.date()
    except ValueError:
        return ToolResult.error("day must be an ISO date, e.g. 2026-11-24.")
    if day > deps.now.date():
        return ToolResult.error("That day is in the future.")
    sheet = await service.sheet(deps.actor, test=args.test, class_text=args.class_, day=day, now=deps.now,
                                via="tool:record_fitness", results=[(r.student, r.value) for r in args.results])
    prefilled = sum(1 for _, _, v in sheet.lines if v)
    result: dict[str, object] = {
        "status": "proposed", "for": sheet.title, "test": sheet.test or "not set: the user picks it on the card",
        "students_on_card": len(sheet.lines), "results_prefilled": prefilled,
        "summary": f"Here's the {sheet.test or 'fitness'} card for {sheet.title}"
                   + (f" with {prefilled} result{'s' if prefilled != 1 else ''} filled in." if prefilled else "."),
    }
    if sheet.unmatched:
        result["not_matched"] = list(sheet.unmatched)
    return ToolResult(for_model=result, display=[sheet], student_ids=[sid for sid, _, v in sheet.lines if v])
