"""read_calendar: the caller's own events for today, tomorrow, this week or one named day (Outlook through Graph when
configured, else Faraday's local calendar). Read only: it never creates, changes or proposes an event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar.backend import Busy, CalendarUnavailable
from domain.calendar.times import describe
from tools.base import ToolDeps, ToolResult, tool

MAX_EVENTS = 30


@dataclass(frozen=True, slots=True)
class Agenda:
    """The events read, rendered as the event list card."""

    span: Literal["today", "tomorrow", "week", "day"]
    items: tuple[Busy, ...]
    day: date | None = None  # span 'day': which


class ReadCalendarArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    span: Literal["today", "tomorrow", "week", "day"] = Field(
        description="'today', 'tomorrow', 'week' (Monday to Sunday) or 'day' (a day the user named)")
    day: str | None = Field(default=None, description="span 'day': its ISO date; else null")


@tool(ReadCalendarArgs)
async def read_calendar(args: ReadCalendarArgs, deps: ToolDeps) -> ToolResult:
    """List the caller's own calendar events ("what's on my calendar tomorrow?", "am I free this afternoon?",
    "anything on Thursday?": span 'day'). Read only: use schedule_event only to create an event."""
    day: date | None = None
    if args.span == "day" or args.day:
        try:
            day = date.fromisoformat(str(args.day or ""))
        except ValueError:
            return ToolResult.error("day: give the date the user named as YYYY-MM-DD (span 'day' needs it).")
        if abs(day - deps.now.date()) > timedelta(days=400):
            return ToolResult.error("day: that date is more than a year away; ask the user which day they mean.")
    span = "day" if day is not None else args.span
    try:
        items = await deps.services.events.upcoming(deps.actor, span, deps.now, day)
    except CalendarUnavailable as exc:
        return ToolResult.error(f"I couldn't read your calendar: {exc}")
    shown = tuple(items[:MAX_EVENTS])
    return ToolResult(
        for_model={
            "span": span,
            "day": day.isoformat() if day else None,
            "count": len(items),
            "events": [{"title": b.title, "start": describe(b.start), "end": f"{b.end:%H:%M}",
                        "location": b.location} for b in shown],
            "message": "The events are listed on a card for the user.",
        },
        display=[Agenda(span, shown, day)],
    )
