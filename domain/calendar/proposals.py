"""Proposing a calendar event from what the user asked for: the start parsed in the school's zone, the draft
validated, attendees matched to staff and to students' guardians, the class found, conflicts checked. Nothing is
written: the proposal is shown on a card and created only when the user presses Save (``EventService.create``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from domain.actor import Actor
from domain.calendar.records import EventProposal
from domain.calendar.times import end_of, parse_start, zone
from domain.errors import InvalidInput
from domain.events import DEFAULT_MINUTES, EventService, validate_draft
from domain.students import StudentService

FAMILY = re.compile(r"^(?P<name>.+?)(?:'s|’s|s')?\s+(?:parents?|guardians?|family|mom|dad|mother|father)$",
                    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class EventRequest:
    title: str
    start: str  # ISO 8601 local date-time, as the model or the planner wrote it
    duration_minutes: int | None = None
    location: str | None = None
    attendees: list[str] = field(default_factory=list)  # staff names/e-mails, or "<student>'s guardians"
    class_text: str | None = None


@dataclass(frozen=True, slots=True)
class ProposedEvent:
    proposal: EventProposal
    student_ids: list[int]  # the students whose guardians were asked for (their records were read, audited)


class EventProposer:
    def __init__(self, events: EventService, students: StudentService) -> None:
        self._events = events
        self._students = students

    async def propose(self, actor: Actor, request: EventRequest, now: datetime, *, via: str) -> ProposedEvent:
        """Raises ``InvalidInput`` (per field) when the title, start, duration or location cannot be used."""
        events = self._events
        tz = zone(actor.time_zone)
        try:
            start, dst_note = parse_start(request.start, tz)
        except InvalidInput as exc:  # its sentence says what was wrong and in which zone: keep it whole
            raise InvalidInput(str(exc)) from None
        minutes = request.duration_minutes if request.duration_minutes is not None else DEFAULT_MINUTES
        validate_draft({"title": request.title, "start": start, "duration_minutes": minutes, "time_zone": tz.key,
                        "location": request.location}, now)
        staff_names, family_names = split_attendees(request.attendees)
        staff_ids, unknown = await events.match_staff(actor, staff_names)
        student_ids, family_notes = await self._students_named(actor, family_names, via)
        families = await events.families(actor, student_ids)
        class_id = await events.class_named(actor, request.class_text) if request.class_text else None
        conflicts, check_note = await events.busy(actor, start, end_of(start, minutes))
        notes = [n for n in (dst_note, check_note) if n] + family_notes
        if unknown:
            notes.append("Not found among your school's staff: " + ", ".join(unknown) + ".")
        if student_ids and not families:
            notes.append("No guardian e-mail is on file for that student, so no family invitation is offered.")
        proposal = EventProposal(
            key=events.new_key(), title=request.title, start=start, duration_minutes=minutes, time_zone=tz.key,
            location=request.location or "", choices=await events.choices(actor), staff_ids=staff_ids,
            class_id=class_id, families=families, conflicts=conflicts, notes=notes, mode=events.mode,
        )
        return ProposedEvent(proposal, student_ids)

    async def _students_named(self, actor: Actor, names: list[str], via: str) -> tuple[list[int], list[str]]:
        ids: list[int] = []
        notes: list[str] = []
        for name in names:
            found = await self._students.find(actor, name, via=via)
            if found.status == "found" and found.profile is not None:
                ids.append(found.profile.summary.id)
            elif found.status == "ambiguous":
                notes.append(f"Several students match {name!r}; ask which one before inviting guardians.")
            else:
                notes.append(f"No student called {name!r} in your classes.")
        return ids, notes


def split_attendees(attendees: list[str]) -> tuple[list[str], list[str]]:
    """Staff names, and the students whose family is invited ("Jamie's parents" → "Jamie")."""
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
