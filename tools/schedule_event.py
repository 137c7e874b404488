"""schedule_event: propose a calendar event on a card; nothing is created until the user presses Save."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar.times import describe, end_of, parse_start, zone
from domain.errors import InvalidInput
from domain.events import DEFAULT_MINUTES, EventProposal, validate_draft
from tools.base import ToolDeps, ToolResult, tool

VIA = "tool:schedule_event"
FAMILY = re.compile(r"^(?P<name>.+?)(?:'s|’s|s')?\s+(?:parents?|guardians?|family|mom|dad|mother|father)$", re.IGNORECASE)


class ScheduleEventArgs(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    title: str = Field(min_length=1, max_length=200, description="Short title, e.g. 'Parent meeting: Jamie Lee'")
    start: str = Field(
        max_length=40,
        description="ISO 8601 local date-time in the school's time zone, e.g. 2026-11-24T15:30; resolve relative "
        "dates ('next Tuesday 3:30pm') against today's date yourself",
    )
    duration_minutes: int | None = Field(default=None, description="5 to 480; null means 60")
    location: str | None = Field(default=None, max_length=200, description="e.g. Main Gym, PE office")
    attendees: list[str] | None = Field(
        default=None, max_length=30,
        description="Staff names or e-mails to invite; for a student's parents write '<student name>'s guardians'",
    )
    class_: str | None = Field(default=None, alias="class", max_length=80, description="A class or period, if given")


@tool(ScheduleEventArgs)
async def schedule_event(args: ScheduleEventArgs, deps: ToolDeps) -> ToolResult:
    """Propose a calendar event (parent meeting, fitness-testing day, make-up class, department meeting) in the
    caller's calendar. The user sees an editable card with any conflicts and must press Save; nothing is created
    until then, so never say it is scheduled. Guardians are invited only if the user ticks them on the card."""
    events = deps.services.events
    tz = zone(deps.actor.time_zone)
    start, dst_note = parse_start(args.start, tz)
    minutes = args.duration_minutes if args.duration_minutes is not None else DEFAULT_MINUTES
    try:
        validate_draft({"title": args.title, "start": start, "duration_minutes": minutes,
                        "time_zone": tz.key, "location": args.location}, deps.now)
    except InvalidInput as exc:
        return ToolResult.error(" ".join(f"{k}: {v}" for k, v in exc.field_errors.items()) or str(exc))
    staff_names, family_names = _split(args.attendees or [])
    staff_ids, unknown = await events.match_staff(deps.actor, staff_names)
    student_ids, family_notes = await _students(deps, family_names)
    families = await events.families(deps.actor, student_ids)
    class_id = await events.class_named(deps.actor, args.class_) if args.class_ else None
    conflicts, check_note = await events.busy(deps.actor, start, end_of(start, minutes))
    notes = [n for n in (dst_note, check_note) if n] + family_notes
    if unknown:
        notes.append("Not found among your school's staff: " + ", ".join(unknown) + ".")
    if student_ids and not families:
        notes.append("No guardian e-mail is on file for that student, so no family invitation is offered.")
    proposal = EventProposal(
        key=events.new_key(), title=args.title, start=start, duration_minutes=minutes, time_zone=tz.key,
        location=args.location or "", choices=await events.choices(deps.actor), staff_ids=staff_ids,
        class_id=class_id, families=families, conflicts=conflicts, notes=notes, mode=events.mode,
    )
    return ToolResult(
        for_model={
            "status": "proposed",
            "start": describe(start) + f" ({tz.key})",
            "duration_minutes": minutes,
            "conflicts": [{"title": c.title, "start": describe(c.start), "end": describe(c.end)} for c in conflicts],
            "notes": notes,
            "message": "A card with the event is shown to the user; it is created only when they press Save.",
        },
        display=[proposal],
        student_ids=student_ids,
    )


def _split(attendees: list[str]) -> tuple[list[str], list[str]]:
    staff: list[str] = []
    families: list[str] = []
    for raw in attendees:
        text = " ".join(raw.split())[:120]
        match = FAMILY.match(text)
        if match:
            families.append(match.group("name"))
        elif text:
            staff.append(text)
    return staff, families


async def _students(deps: ToolDeps, names: list[str]) -> tuple[list[int], list[str]]:
    ids: list[int] = []
    notes: list[str] = []
    for name in names:
        found = await deps.services.students.find(deps.actor, name, via=VIA)
        if found.status == "found" and found.profile is not None:
            ids.append(found.profile.summary.id)
        elif found.status == "ambiguous":
            notes.append(f"Several students match {name!r}; ask which one before inviting guardians.")
        else:
            notes.append(f"No student called {name!r} in your classes.")
    return ids, notes
