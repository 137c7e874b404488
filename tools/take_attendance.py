"""take_attendance: a class's attendance card for a day (today by default), prefilled from what the user said;
nothing is saved until the user presses Save on the card."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from domain.records.attendance import Reason, Status
from tools.base import AttendanceAccess, ToolDeps, ToolResult, tool

STUDENTS_PER_CARD = 45  # a card of 45 stays under Teams' 28 KB card limit with long names (tests/unit/test_card_schema)


class AttendanceMarkArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student: str = Field(min_length=1, max_length=120, description="The student's name as the user wrote it")
    status: Status = Field(description="absent, tardy (late), excused, sat_out (in class, not taking part), present")
    reason: Reason | None = Field(
        default=None, description="sat_out only: injury (sore knee, sprain...), illness, no_kit (no PE clothes), "
                                  "medical_note; null if the user gave none")


class TakeAttendanceArgs(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    class_: str | None = Field(
        default=None, alias="class", max_length=80,
        description='The class as the user said it ("period 3", "PE 7"); null for the class meeting now')
    day: str | None = Field(default=None,
                            description="ISO date (YYYY-MM-DD) if the user named another day; null: today")
    marks: list[AttendanceMarkArgs] = Field(
        default_factory=list, max_length=60,
        description="Only the students the user named; everyone else starts as present on the card")


@tool(TakeAttendanceArgs)
async def take_attendance(args: TakeAttendanceArgs, deps: ToolDeps[AttendanceAccess]) -> ToolResult:
    """Open the attendance card for one of the user's classes: today's roster with everyone present unless the user
    said otherwise (absent, tardy, excused, or sat out with a reason). Pass only the students the user named. The
    user checks the card and presses Save; nothing is recorded until then, so never say it is saved. If the class
    is unknown or ambiguous, the error lists the user's classes: ask which one."""
    service = deps.services.attendance
    if service is None:
        return ToolResult.error("Attendance can't be recorded here.")
    try:
        day = date.fromisoformat(args.day) if args.day else deps.now.date()
    except ValueError:
        return ToolResult.error("day must be an ISO date, e.g. 2026-11-24.")
    if day > deps.now.date():
        return ToolResult.error("That day is in the future; attendance is taken on the day or after.")
    sheet = await service.sheet(
        deps.actor, class_text=args.class_, day=day, now=deps.now, via="tool:take_attendance",
        marks=[(m.student, m.status, m.reason) for m in args.marks],
    )
    counts = sheet.counts()
    result: dict[str, object] = {
        "status": "proposed",
        "class": sheet.class_name,
        "day": sheet.day.isoformat(),
        "counts": counts,
        "message": "The attendance card is shown to the user; it is saved only when they press Save."
                   + (" Some of this day was already saved: the card shows it and corrects it." if sheet.already_saved
                      else ""),
    }
    if sheet.unmatched:
        result["not_matched"] = list(sheet.unmatched)
        result["message"] = str(result["message"]) + " Some names matched nobody in the class (or several): " \
                                                      "the user sets those students on the card."
    pages = sheet.pages(STUDENTS_PER_CARD)
    if len(pages) > 1:
        result["cards"] = len(pages)
        result["message"] = str(result["message"]) + f" The class is split over {len(pages)} cards; each saves its own."
    return ToolResult(for_model=result, display=list(pages),
                      student_ids=[line.student_id for line in sheet.lines if line.student_id in sheet.changed])
