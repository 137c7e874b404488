"""lookup_student: find a student the caller may see and show their profile card."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.students import StudentLookup, StudentProfile, StudentSummary
from tools.base import StudentsAccess, ToolDeps, ToolResult, tool


class LookupStudentArgs(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    query: str = Field(min_length=1, max_length=120, description="The student's name as the user wrote it, or id")
    class_: str | None = Field(
        default=None, alias="class", max_length=80, description="A class or period to narrow the search, if given"
    )
    details: list[Literal["medical", "emergency_contact"]] = Field(
        default_factory=list,
        description="Extra fields the user's question needs; leave empty unless they asked about health or contacts",
    )


@tool(LookupStudentArgs)
async def lookup_student(args: LookupStudentArgs, deps: ToolDeps[StudentsAccess]) -> ToolResult:
    """Look up one student in the caller's classes (or school, for nurses and admins) by name or student number.
    The user is shown the full profile card; you receive only name, grade and classes unless `details` asks for
    medical flags or the emergency contact. If several students match, ask the user which one they mean."""
    found = await deps.services.students.find(deps.actor, args.query, class_hint=args.class_, via="tool:lookup_student")
    return _result(found, set(args.details))


def _result(found: StudentLookup, details: set[str]) -> ToolResult:
    if found.status == "not_found":
        return ToolResult(
            for_model={"status": "not_found", "query": found.query,
                       "message": "No student by that name in your classes."}
        )
    if found.status == "ambiguous":
        return ToolResult(
            for_model={
                "status": "ambiguous",
                "query": found.query,
                "candidates": [_brief(c) for c in found.candidates],
                "message": "Several students match; ask the user which one.",
            },
            display=[found],
            student_ids=[c.id for c in found.candidates],
        )
    assert found.profile is not None  # status "found" always carries a profile
    return ToolResult(
        for_model={"status": "found", "student": _for_model(found.profile, details)},
        display=[found.profile],
        student_ids=[found.profile.summary.id],
    )


def _brief(summary: StudentSummary) -> dict[str, object]:
    return {"id": summary.student_number, "name": summary.display_name, "grade": summary.grade,
            "classes": list(summary.classes)}


def _for_model(profile: StudentProfile, details: set[str]) -> dict[str, object]:
    data = _brief(profile.summary)
    if "medical" in details:
        data["medical_flags"] = list(profile.medical_flags)
        data["adaptations"] = list(profile.adaptations)
    if "emergency_contact" in details and profile.emergency_contact:
        contact = profile.emergency_contact
        data["emergency_contact"] = {"name": contact.name, "relationship": contact.relationship, "phone": contact.phone}
    return data
