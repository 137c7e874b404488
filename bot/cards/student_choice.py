"""When a name matches several students: ask which one, with a button per candidate."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, grade_label, heading, submit, text
from domain.students import StudentLookup


def student_choice_card(lookup: StudentLookup) -> dict[str, Any]:
    body = [
        heading(f"Which {lookup.query}?"),
        text(f"{len(lookup.candidates)} students in your classes match. Pick one:"),
    ]
    actions = [
        submit(
            f"{c.display_name} · grade {grade_label(c.grade)}" + (f" · {c.classes[0]}" if c.classes else ""),
            "lookup_student",
            query=c.student_number,
        )
        for c in lookup.candidates
    ]
    return card(body, actions)
