"""message_home: draft a message to a student's guardians (or a class's) from the record; sent only on Send."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.messages_home.service import MessageRequest
from tools.base import MessagesHomeAccess, ToolDeps, ToolResult, tool

VIA = "tool:message_home"


class MessageHomeArgs(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    kind: Literal["incident", "attendance", "fitness", "class_notice"] = Field(
        description="incident: about the student's latest recorded incident or injury; attendance: missed lessons; "
                    "fitness: FitnessGram results; class_notice: a note to all guardians of a class (e.g. a kit "
                    "reminder)")
    student: str | None = Field(default=None, max_length=120,
                                description="The student's name as the user wrote it (not for class_notice)")
    class_: str | None = Field(default=None, alias="class", max_length=80,
                               description="class_notice: the class or period, as written (e.g. 'period 3')")
    topic: str | None = Field(default=None, max_length=1500,
                              description="What the message is about, in the user's words (class_notice: what it "
                                          "should say)")
    language: str | None = Field(default=None, max_length=40,
                                 description="Only if the user named the family's language (e.g. 'Spanish')")


@tool(MessageHomeArgs)
async def message_home(args: MessageHomeArgs, deps: ToolDeps[MessagesHomeAccess]) -> ToolResult:
    """Draft an e-mail home to a student's parents/guardians (or all guardians of a class, for class_notice) from
    Faraday's records, in each guardian's preferred language. The user sees the draft and its translation on a card
    and must press Send; nothing is sent until then, so never say it was sent. You are not given guardians' names or
    addresses. If several students match, ask the user which one."""
    service = deps.services.messages_home
    if service is None:
        return ToolResult.error("Messages home are not available on this Faraday.")
    student_ids: list[int] = []
    student_id = None
    if args.kind != "class_notice":
        if not args.student:
            return ToolResult.error("student: say which student the message is about.")
        found = await deps.services.students.find(deps.actor, args.student, via=VIA)
        if found.status == "not_found":
            return ToolResult(for_model={"status": "not_found", "query": args.student,
                                         "message": f"No student called {args.student} in your classes."})
        if found.status == "ambiguous":
            names = [f"{c.display_name} (grade {c.grade})" for c in found.candidates]
            return ToolResult(for_model={"status": "ambiguous", "candidates": names,
                                         "message": "Ask the user which student they mean."},
                              student_ids=[c.id for c in found.candidates])
        assert found.profile is not None
        student_id = found.profile.summary.id
        student_ids = [student_id]
    request = MessageRequest(kind=args.kind, student_id=student_id, class_text=args.class_,
                             topic=args.topic or "", language=args.language)
    draft = await service.draft(deps.actor, request, deps.now, via=VIA)
    return ToolResult(
        for_model={"status": "drafted", "about": draft.about, "recipients": draft.recipients,
                   "languages": sorted(draft.languages),
                   "message": "A card shows the draft and its translation; it is sent only when the user presses "
                              "Send."},
        display=[draft], student_ids=student_ids)
