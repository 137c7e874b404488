"""The read-only confirmation that replaces a saved incident form."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, facts, heading, text
from domain.incidents import SavedIncident


def incident_saved_card(saved: SavedIncident) -> dict[str, Any]:
    return card(
        [
            heading(f"Incident #{saved.id} saved"),
            facts(
                [
                    ("Student", saved.student_name),
                    ("Severity", saved.severity.value.capitalize()),
                    ("When", saved.occurred_at.strftime("%a %d %b %Y, %H:%M")),
                    ("Reported by", saved.reporter_name),
                ]
            ),
            text("Serious incidents alert your school's administrators automatically.", subtle=True),
        ]
    )
