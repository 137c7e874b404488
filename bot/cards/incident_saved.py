"""The read-only confirmation that replaces a saved incident form."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, facts, heading, submit, text
from domain.incidents import SavedIncident

EXPORT_INCIDENT = "export.incident"  # bot/actions/export.py: the one-page PDF report


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
        ],
        [submit("Incident report (PDF)", EXPORT_INCIDENT, incident_id=saved.id)],
    )
