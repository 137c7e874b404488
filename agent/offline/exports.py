"""Export requests: "export the period 3 attendance to a spreadsheet", "download the fitness results for period 2 as
csv", "incident 12 as a pdf" → ``export_data``. Tried before everything else that reads the same words (the
attendance recorder would take "period 3 attendance" for a roll call; the widgets would show the card again)."""

from __future__ import annotations

import re
from typing import Any

from agent.offline import slots
from agent.offline.names import find_student_name
from domain.names import NameParts

EXPORT_CUE = re.compile(r"\b(export\w*|download\w*|spread ?sheets?|excel|xlsx|xls|csv|pdfs?|printable|print(out)?|"
                        r"state (\w+ )?report|in a file|as a file)\b", re.I)
SPREADSHEET = re.compile(r"\b(spread ?sheets?|excel|xlsx|xls)\b", re.I)
PDF = re.compile(r"\b(pdfs?|printable|print(out)?)\b", re.I)
CSV = re.compile(r"\bcsv\b", re.I)
INCIDENT_NUMBER = re.compile(r"\bincident(?: report)?\s*(?:#|no\.?|number)?\s*(\d{1,9})\b", re.I)
FITNESS = re.compile(r"\b(fitness|fitnessgram|pacer|push-?ups|curl-?ups|sit[- ]and[- ]reach)\b", re.I)
CARD_WORDS = re.compile(r"\b(card|chart|trends?)\b", re.I)
STUDENT_WIDGETS = {"attendance", "skill_gaps", "fitness_trends", "participation", "drivers_ed_progress"}


def export_request(text: str, keyed: str, names: list[NameParts]) -> tuple[str, dict[str, Any]] | None:
    """(``export_data``, arguments), ("clarify", {"question": ...}) for an export of nothing recognisable, or None
    when the message does not ask for a file."""
    if not EXPORT_CUE.search(keyed):
        return None
    fmt = "xlsx" if SPREADSHEET.search(keyed) else "pdf" if PDF.search(keyed) else "csv" if CSV.search(keyed) else None
    incident = INCIDENT_NUMBER.search(keyed)
    base: dict[str, Any] = {"class": slots.class_ref(keyed), "student": None, "period_days": None,
                            "incident_id": None}
    if incident:
        return "export_data", {**base, "report": "incident_report", "format": "pdf", "class": None,
                               "incident_id": int(incident.group(1))}
    if FITNESS.search(keyed) and not (fmt == "pdf" or CARD_WORDS.search(keyed)):
        return "export_data", {**base, "report": "fitness_results", "format": fmt or "csv"}
    widget = slots.widget(keyed) or ("fitness_trends" if FITNESS.search(keyed) else None)
    if widget is None:
        if re.search(r"\b(export|download)\b", keyed, re.I):
            return "clarify", {"question": "What should I export? For example: *export the period 3 attendance to "
                                           "a spreadsheet*, *download the fitness results for period 5 as csv*, or "
                                           "*incident 12 as a pdf*."}
        return None
    student = find_student_name(text, names) if widget in STUDENT_WIDGETS else None
    return "export_data", {**base, "report": widget, "format": fmt or "csv", "student": student}
