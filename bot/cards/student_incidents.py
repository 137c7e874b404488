"""A student's recent incidents (from the profile card's "Recent incidents" button): read-only, newest first."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.cards.elements import card, escape, heading, submit, text
from bot.cards.incident_form import TYPE_LABELS
from bot.cards.student_profile import student_button
from domain.incidents import IncidentSummary

MAX_DESCRIPTION = 200


def student_incidents_card(student_id: int, student_name: str, items: list[IncidentSummary],
                           time_zone: str) -> dict[str, Any]:
    tz = ZoneInfo(time_zone)
    body: list[dict[str, Any]] = [heading(f"Recent incidents: {student_name}")]
    if not items:
        body.append(text("No incidents on record."))
    for item in items:
        when = item.occurred_at.astimezone(tz).strftime("%a %d %b %Y, %H:%M")
        kind = TYPE_LABELS.get(item.incident_type, item.incident_type)
        description = item.description
        if len(description) > MAX_DESCRIPTION:
            description = description[:MAX_DESCRIPTION] + "…"
        body.append({"type": "Container", "separator": True, "items": [
            {"type": "TextBlock", "wrap": True, "weight": "Bolder",
             "text": escape(f"#{item.id} · {when} · {kind} · {item.severity.value.capitalize()}")},
            {"type": "TextBlock", "wrap": True, "spacing": "None", "isSubtle": True,
             "text": escape(item.activity or "—")},
            {"type": "TextBlock", "wrap": True, "spacing": "Small", "text": escape(description)},
            {"type": "ActionSet", "actions": [submit("PDF report", "export.incident", incident_id=item.id)]},
        ]})
    body.append(text("Access to these records is logged.", subtle=True))
    return card(body, [student_button("Log incident", "incident.form", student_id)])
