"""schedule_event: propose a calendar event on a card; nothing is created until the user presses Save."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar.proposals import EventRequest
from domain.calendar.times import describe
from domain.errors import InvalidInput
from tools.base import EventProposalsAccess, ToolDeps, ToolResult, tool

VIA = "tool:schedule_event"


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
async def schedule_event(args: ScheduleEventArgs, deps: ToolDeps[EventProposalsAccess]) -> ToolResult:
    """Propose a calendar event (parent meeting, fitness-testing day, make-up class, department meeting) in the
    caller's calendar. The user sees an editable card with any conflicts and must press Save; nothing is created
    until then, so never say it is scheduled. Guardians are invited only if the user ticks them on the card."""
    request = EventRequest(title=args.title, start=args.start, duration_minutes=args.duration_minutes,
                           location=args.location, attendees=list(args.attendees or []), class_text=args.class_)
    try:
        proposed = await deps.services.event_proposals.propose(deps.actor, request, deps.now, via=VIA)
    except InvalidInput as exc:
        return ToolResult.error(" ".join(f"{k}: {v}" for k, v in exc.field_errors.items()) or str(exc))
    proposal = proposed.proposal
    return ToolResult(
        for_model={
            "status": "proposed",
            "start": describe(proposal.start) + f" ({proposal.time_zone})",
            "duration_minutes": proposal.duration_minutes,
            "conflicts": [{"title": c.title, "start": describe(c.start), "end": describe(c.end)}
                          for c in proposal.conflicts],
            "notes": proposal.notes,
            "message": "A card with the event is shown to the user; it is created only when they press Save.",
        },
        display=[proposal],
        student_ids=proposed.student_ids,
    )
