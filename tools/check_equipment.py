"""check_equipment: an equipment-check card (the item found by name, the problems the user reported per numbered
piece); nothing is saved until the user presses Save. A failed piece goes out of service when saved."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.base import EquipmentChecksAccess, ToolDeps, ToolResult, tool


class ProblemArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str | None = Field(default=None, max_length=10, description='The piece\'s number ("#3"); null: the item '
                                                                      "as a whole")
    result: Literal["repair", "fail"] = Field(description="fail: unsafe, take it out of use (frayed, cracked, broken); "
                                                          "repair: usable after a fix (loose, needs a part)")
    note: str | None = Field(default=None, max_length=200, description="What is wrong, in the user's words")


class CheckEquipmentArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    equipment: str = Field(min_length=1, max_length=120, description="The equipment as the user named it")
    problems: list[ProblemArgs] = Field(default_factory=list, max_length=20,
                                        description="Problems the user reported; empty when everything passed")
    day: str | None = Field(default=None, description="ISO date if the user named another day; null: today")


@tool(CheckEquipmentArgs)
async def check_equipment(args: CheckEquipmentArgs, deps: ToolDeps[EquipmentChecksAccess]) -> ToolResult:
    """Record an equipment check at the user's school: open a card with the item (found by name) and the problems the
    user reported per numbered piece (fail = out of service, repair = needs fixing). The user presses Save; nothing
    is recorded until then. If the name matches no equipment, the error lists the closest: ask which one."""
    service = deps.services.equipment_checks
    if service is None:
        return ToolResult.error("Equipment checks can't be recorded here.")
    try:
        day = date.fromisoformat(args.day) if args.day else deps.now.date()
    except ValueError:
        return ToolResult.error("day must be an ISO date, e.g. 2026-11-24.")
    sheet = await service.sheet(deps.actor, equipment_text=args.equipment, day=day,
                                problems=[(p.item, p.result, p.note or "") for p in args.problems])
    fails = sum(1 for p in args.problems if p.result == "fail")
    noted = (f"{len(args.problems)} problem{'s' if len(args.problems) != 1 else ''} noted"
             + (f", {fails} to take out of service." if fails else "."))
    summary = f"Here's the check for **{sheet.name}**: " + (noted if args.problems else "everything passed.")
    return ToolResult(for_model={"status": "proposed", "equipment": sheet.name, "problems": len(args.problems),
                                 "summary": summary}, display=[sheet])
