"""read_calendar: the caller's own events for today, tomorrow or this week (Outlook through Graph when configured,
else Faraday's local calendar). Read only: it never creates, changes or proposes an event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar.backend import Busy, CalendarUnavailable
from domain.calendar.times import describe
from tools.base import ToolDeps, ToolResult, tool

MAX_EVENTS = 30


@dataclass(frozen=True, slots=True)
class Agenda:
    """The events read, rendered as the event list card."""

    span: Literal["today", "tomorrow", "week"]
    items: tuple[Busy, ...]


class ReadCalendarArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    span: Literal["today", "tomorrow", "week"] = Field(
        description="Which events: 'today', 'tomorrow' or 'week' (this week, Monday to Sunday, school time zone)")


@tool(ReadCalendarArgs)
async def read_calendar(args: ReadCalendarArgs, deps: ToolDeps) -> ToolResult:
    """List the caller's own calendar events for today, tomorrow or this week ("what's on my calendar tomorrow?",
    "am I free this afternoon?", "what meetings do I have this week?"). Read only: use schedule_event only when the
    user asks to create an event."""
    try:
        items = await deps.services.events.upcoming(deps.actor, args.span, deps.now)
    except CalendarUnavailable as exc:
        return ToolResult.error(f"I couldn't read your calendar: {exc}")
    shown = tuple(items[:MAX_EVENTS])
    return ToolResult(
        for_model={
            "span": args.span,
            "count": len(items),
            "events": [{"title": b.title, "start": describe(b.start), "end": f"{b.end:%H:%M}",
                        "location": b.location} for b in shown],
            "message": "The events are listed on a card for the user.",
        },
        display=[Agenda(args.span, shown)],
    )
