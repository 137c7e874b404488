"""The student profile card: what the caller may see of one student."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, facts, grade_label, heading, section, text
from domain.students import StudentProfile


def student_profile_card(profile: StudentProfile) -> dict[str, Any]:
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
    return card(body)
