"""record_skills: a rubric card (levels 1–4) for one skill of a class's current unit, with the levels the user gave
prefilled; nothing is saved until the user presses Save."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from tools.base import SkillsAccess, ToolDeps, ToolResult, tool


class SkillLevelArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student: str = Field(min_length=1, max_length=120, description="The student's name as the user wrote it")
    level: int = Field(ge=1, le=4, description="1 beginning, 2 developing, 3 meeting, 4 exceeding")


class RecordSkillsArgs(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    skill: str | None = Field(default=None, max_length=80, description='The skill, e.g. "dribbling", "chest pass"; '
                                                                       "null if the user did not say")
    class_: str | None = Field(default=None, alias="class", max_length=80,
                               description='The class as the user said it ("period 3"); null if none was named')
    day: str | None = Field(default=None, description="ISO date if the user named another day; null: today")
    levels: list[SkillLevelArgs] = Field(default_factory=list, max_length=60,
                                         description="Only the levels the user gave; empty to open the class's card")


@tool(RecordSkillsArgs)
async def record_skills(args: RecordSkillsArgs, deps: ToolDeps[SkillsAccess]) -> ToolResult:
    """Open a skill-assessment card: the class's roster with a rubric level (1–4) per student for one skill of the
    class's current unit, prefilled with the levels the user gave. The user presses Save; nothing is recorded until
    then. If the class is unknown or ambiguous, the error lists the user's classes: ask which one."""
    service = deps.services.skills
    if service is None:
        return ToolResult.error("Skill assessments can't be recorded here.")
    try:
        day = date.fromisoformat(args.day) if args.day else deps.now.date()
    except ValueError:
        return ToolResult.error("day must be an ISO date, e.g. 2026-11-24.")
    sheet = await service.sheet(deps.actor, skill=args.skill, class_text=args.class_, day=day, now=deps.now,
                                via="tool:record_skills", levels=[(lv.student, lv.level) for lv in args.levels])
    filled = sum(1 for _, _, v in sheet.lines if v)
    result: dict[str, object] = {
        "status": "proposed", "class": sheet.class_name, "unit": sheet.unit, "skill": sheet.skill or "not set",
        "levels_prefilled": filled,
        "summary": f"Here's the {sheet.skill or 'skill'} rubric for {sheet.class_name}"
                   + (f" with {filled} level{'s' if filled != 1 else ''} filled in." if filled else "."),
    }
    if sheet.unmatched:
        result["not_matched"] = list(sheet.unmatched)
    return ToolResult(for_model=result, display=[sheet], student_ids=[sid for sid, _, v in sheet.lines if v])
