"""plan_lesson: a complete lesson plan grounded in (and citing) the district's curriculum; saved only on Save."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.lessons import DEFAULT_MINUTES, LABELS, TIMED, LessonPlanDraft, LessonPlanResult, LessonRequest
from knowledge.lesson_planning import NoUnit
from tools.base import Citation, LessonsAccess, ToolDeps, ToolResult, citation_of, tool


class PlanLessonArgs(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    grade: int = Field(ge=0, le=12, description="Grade level, 0 = kindergarten, up to 12")
    topic: str = Field(min_length=2, max_length=200, description="Sport, skill or theme, e.g. 'volleyball bumping'")
    duration_minutes: int | None = Field(default=DEFAULT_MINUTES, ge=10, le=120,
                                         description="Lesson length in minutes, 10 to 120; null means 45")
    equipment: list[str] | None = Field(default=None, max_length=30, description="Equipment the teacher has, if given")
    class_: str | None = Field(default=None, alias="class", max_length=80, description="A class or period, if given")


@tool(PlanLessonArgs)
async def plan_lesson(args: PlanLessonArgs, deps: ToolDeps[LessonsAccess]) -> ToolResult:
    """Write a lesson plan (objectives tied to grade-level outcomes, warm-up, skill development, game, cool-down,
    equipment, safety notes, adaptations, exit ticket) from the district's curriculum units, with minutes that add up
    to the duration. The user sees the plan on a card with Save / Regenerate / Adjust duration; it is saved only when
    they press Save. If the status is "no_unit", tell the user the curriculum has no unit on it; never make one up."""
    request = LessonRequest(grade=args.grade, topic=args.topic,
                            duration_minutes=args.duration_minutes or DEFAULT_MINUTES,
                            equipment=[e.strip() for e in args.equipment or [] if e.strip()])
    notes: list[str] = []
    if args.class_:
        found = await deps.services.lessons.class_context(deps.actor, args.class_)
        if found is None:
            notes.append(f"I couldn't match “{args.class_}” to one of your classes, so the plan isn't linked to one.")
        else:
            request = request.model_copy(update={"class_id": found[0], "class_size": found[1] or None})
    outcome = await deps.services.lesson_planner.prepare(request, number=deps.citations.source_number, notes=notes)
    if isinstance(outcome, NoUnit):
        return ToolResult(for_model={"status": "no_unit", "message": outcome.message, "units_for_grade": outcome.units})
    return ToolResult(for_model=summary(outcome, deps), display=[outcome], citations=citations_of(outcome.plan))


def citations_of(plan: LessonPlanDraft) -> list[Citation]:
    return [citation_of(s) for s in plan.citations]


def summary(result: LessonPlanResult, deps: ToolDeps | None = None) -> dict[str, Any]:
    """What the model sees: the outline with minutes and cite labels, not the whole plan (it is on the card)."""
    plan = result.plan

    def cite(labels: list[int]) -> str:
        return "".join(f"[{n}]" for n in labels)

    return {
        "status": "proposed",
        "title": plan.title,
        "grade": "K" if plan.grade == 0 else plan.grade,
        "duration_minutes": plan.duration_minutes,
        "unit": plan.unit,
        "sections": [{"name": LABELS[n], "minutes": getattr(plan, n).minutes, "cite": cite(getattr(plan, n).cites)}
                     for n in TIMED],
        "objectives_cite": cite(sorted({c for o in plan.objectives for c in o.cites})),
        "sources": [{"cite": f"[{s.label}]", "title": s.title, "section": s.section} for s in plan.citations],
        "notes": plan.notes,
        "message": "The full plan is on a card with Save, Regenerate and Adjust duration; it is saved only when the "
                   "user presses Save. Summarise it briefly and cite with the labels above.",
    }
