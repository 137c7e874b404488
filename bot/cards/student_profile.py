"""The student profile card: what the caller may see of one student, with buttons to act on that student."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, facts, grade_label, heading, section, text
from domain.students import StudentProfile


def student_profile_card(profile: StudentProfile, *, incident_history: bool = True) -> dict[str, Any]:
    """``incident_history``: show "Recent incidents" (the caller's role may read them; the service still checks)."""
    s = profile.summary
    body: list[dict[str, Any]] = [
        heading(s.display_name),
        facts(
            [
                ("Student #", s.student_number),
                ("Grade", grade_label(s.grade)),
                ("Classes", ", ".join(s.classes) or "—"),
            ]
            + ([("Date of birth", profile.date_of_birth.isoformat())] if profile.date_of_birth else [])
            + ([("Address", profile.address)] if profile.address else [])
        ),
    ]
    if profile.medical_flags:
        body.append(section("Medical flags", list(profile.medical_flags), style="attention"))
    if profile.adaptations:
        body.append(section("Adaptations", list(profile.adaptations)))
    if profile.emergency_contact:
        c = profile.emergency_contact
        body.append(
            section("Emergency contact", [f"{c.name} ({c.relationship}) — {c.phone or 'no phone on file'}"])
        )
    if profile.health_notes:
        body.append(section("Health notes (nurse/admin only)", list(profile.health_notes), style="emphasis"))
    body.append(text("Access to this record is logged.", subtle=True))
    actions = [student_button("Log incident", "incident.form", s.id)]
    if incident_history:
        actions.append(student_button("Recent incidents", "incident.recent", s.id))
    actions.append(student_button("Add to calendar", "event.form", s.id))
    return card(body, actions)


def student_button(title: str, verb: str, student_id: int) -> dict[str, Any]:
    """Action.Execute (answer replaces the card) with an Action.Submit fallback; the student id is the only data
    and is checked against the caller's scope by the action."""
    data = {"action": verb, "student_id": str(student_id)}
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data, "associatedInputs": "none",
            "fallback": {"type": "Action.Submit", "title": title, "data": data, "associatedInputs": "none"}}
