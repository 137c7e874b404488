"""log_incident: propose an incident report on a card; nothing is saved until the user presses Save."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from domain.incidents import IncidentProposal, IncidentType, time_problem
from domain.models import Severity
from tools.base import IncidentReportAccess, ToolDeps, ToolResult, tool


class LogIncidentArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student: str = Field(min_length=1, max_length=120, description="The student's name as the user wrote it")
    description: str = Field(min_length=3, max_length=4000, description="What happened, in the user's words")
    severity: Severity | None = Field(default=None, description="Only if the user said or it is obvious")
    incident_type: IncidentType | None = Field(default=None)
    activity: str | None = Field(default=None, max_length=120, description="e.g. basketball, PACER test")
    location: str | None = Field(default=None, max_length=120, description="e.g. Main Gym, Field 2")
    occurred_at: str | None = Field(
        default=None, description="ISO 8601 local date-time if the user gave one; null means now"
    )
    action_taken: str | None = Field(default=None, max_length=2000, description="first aid, nurse called, ...")


@tool(LogIncidentArgs)
async def log_incident(args: LogIncidentArgs, deps: ToolDeps[IncidentReportAccess]) -> ToolResult:
    """Propose an incident report (injury, illness, behaviour, near miss) for a student in the caller's classes.
    The user sees an editable card and must press Save; nothing is recorded until then, so never say it is saved.
    Use the student's name as written; if several students match, ask the user which one. For an injury or illness
    happening now, call search_knowledge (situation=true) in the same step: the steps come first."""
    found = await deps.services.students.find(deps.actor, args.student, via="tool:log_incident")
    if found.status == "not_found":
        return ToolResult(for_model={"status": "not_found", "query": args.student,
                                     "message": f"No student called {args.student} in your classes."})
    if found.status == "ambiguous":
        names = [f"{c.display_name} (grade {c.grade})" for c in found.candidates]
        return ToolResult(
            for_model={"status": "ambiguous", "candidates": names, "message": "Ask the user which student they mean."},
            student_ids=[c.id for c in found.candidates],
        )
    assert found.profile is not None
    student = found.profile.summary
    tz = ZoneInfo(deps.actor.time_zone)
    try:
        occurred = _parse_time(args.occurred_at, tz) or deps.now
    except ValueError:
        return ToolResult.error("occurred_at must be an ISO 8601 date-time, e.g. 2026-11-24T10:15.")
    problem = time_problem(occurred, deps.now)
    if problem:
        return ToolResult.error(f"occurred_at: {problem} Ask the user when it happened.")
    place = await deps.services.incidents.default_place(deps.actor, student.id, occurred)
    proposal = IncidentProposal(
        key=deps.services.incidents.new_key(),
        student_id=student.id,
        student_name=student.display_name,
        occurred_at=occurred,
        location=args.location or (place[0] if place else ""),
        activity=args.activity or (place[1] if place else ""),
        incident_type=args.incident_type,
        severity=args.severity,
        description=args.description,
        action_taken=args.action_taken,
    )
    return ToolResult(
        for_model={
            "status": "proposed",
            "student": student.display_name,
            "severity": args.severity.value if args.severity else "not set: the user must choose on the card",
            "message": "A card with the report is shown to the user; it is saved only when they press Save.",
        },
        display=[proposal],
        student_ids=[student.id],
    )


def _parse_time(value: str | None, tz: ZoneInfo) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
