"""The incident report form: a blank form, a model proposal prefilled, or a submission re-rendered with errors.

Input ids here are the contract with ``parse_incident_inputs``; values come back as strings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards.elements import card, grade_label, heading, text
from bot.cards.inputs import choice as _choice
from bot.cards.inputs import execute
from bot.cards.inputs import field as _field
from bot.cards.inputs import submitted_text as _str
from bot.cards.inputs import text_input as _text_input
from domain.incidents import INCIDENT_TYPES, IncidentProposal
from domain.models import Severity

SAVE = "incident.save"
CANCEL = "incident.cancel"
MAX_STATIC_CHOICES = 150
ACTIONS = {
    "first_aid": "First aid given",
    "ice": "Ice applied",
    "nurse": "Sent to / seen by nurse",
    "parent_called": "Parent/guardian called",
    "911": "911 called",
}
TYPE_LABELS = {
    "injury": "Injury",
    "head_injury": "Head injury",
    "illness": "Illness",
    "allergic_reaction": "Allergic reaction",
    "breathing": "Breathing difficulty",
    "behavior": "Behaviour",
    "near_miss": "Near miss",
    "other": "Other",
}


@dataclass(slots=True)
class IncidentFormState:
    """Everything the form shows: values (as the card inputs hold them) and per-field error messages."""

    key: str
    roster: list[tuple[int, str, int]]  # (id, name, grade) the caller may pick from
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    title: str = "Incident report"
    note: str | None = None

    @classmethod
    def from_proposal(cls, proposal: IncidentProposal, roster: list[tuple[int, str, int]]) -> IncidentFormState:
        at = proposal.occurred_at
        values = {
            "student_id": str(proposal.student_id),
            "date": at.date().isoformat(),
            "time": at.strftime("%H:%M"),
            "location": proposal.location,
            "activity": proposal.activity,
            "incident_type": proposal.incident_type or "",
            "severity": proposal.severity.value if proposal.severity else "",
            "description": proposal.description,
            "injuries": proposal.injuries or "",
            "action_notes": proposal.action_taken or "",
        }
        if not any(sid == proposal.student_id for sid, _, _ in roster):
            roster = [(proposal.student_id, proposal.student_name, 0), *roster]
        return cls(key=proposal.key, roster=roster, values=values, title="Check and save this incident report",
                   note="Nothing is saved until you press Save.")


def incident_form_card(state: IncidentFormState) -> dict[str, Any]:
    v, e = state.values, state.errors
    body: list[dict[str, Any]] = [heading(state.title)]
    if state.note:
        body.append(text(state.note, subtle=True))
    if e:
        body.append({"type": "TextBlock", "text": "Please fix the fields marked below; nothing was saved.",
                     "color": "Attention", "wrap": True, "weight": "Bolder"})
    body += _field(_student_picker(state), e.get("student_id"))
    body.append(
        {
            "type": "ColumnSet",
            "columns": [
                {"type": "Column", "width": "stretch", "items": _field(
                    {"type": "Input.Date", "id": "date", "label": "Date", "isRequired": True,
                     "errorMessage": "Required.", "value": v.get("date", "")}, e.get("date") or e.get("occurred_at"))},
                {"type": "Column", "width": "stretch", "items": _field(
                    {"type": "Input.Time", "id": "time", "label": "Time", "isRequired": True,
                     "errorMessage": "Required.", "value": v.get("time", "")}, e.get("time"))},
            ],
        }
    )
    body += _field(_text_input("location", "Location", v, max_length=120, required=True), e.get("location"))
    body += _field(_text_input("activity", "Activity", v, max_length=120, required=True), e.get("activity"))
    body += _field(_choice("incident_type", "Type", [(t, TYPE_LABELS[t]) for t in INCIDENT_TYPES],
                           v.get("incident_type", ""),
                           required=True), e.get("incident_type"))
    body += _field(_choice("severity", "Severity", [(s.value, s.value.capitalize()) for s in Severity],
                           v.get("severity", ""),
                           required=True, expanded=True), e.get("severity"))
    body += _field(_text_input("description", "What happened", v, max_length=4000, required=True, multiline=True),
                   e.get("description"))
    body += _field(_text_input("injuries", "Injuries", v, max_length=2000, multiline=True), e.get("injuries"))
    body += _field(_choice("actions", "Actions taken", list(ACTIONS.items()), v.get("actions", ""), multi=True),
                   e.get("actions"))
    body += _field(_text_input("action_notes", "Other actions / notes", v, max_length=1500, multiline=True),
                   e.get("action_taken"))
    body += _field(_text_input("witnesses", "Witnesses", v, max_length=500), e.get("witnesses"))
    body += _field(_text_input("follow_up", "Follow-up needed", v, max_length=1000), e.get("follow_up"))
    actions = [
        execute("Save", SAVE, {"form_key": state.key}, style="positive"),
        execute("Cancel", CANCEL, {"form_key": state.key}, inputs="none"),
    ]
    return card(body, actions)


def parse_incident_inputs(value: dict[str, Any], time_zone: str) -> tuple[dict[str, object], dict[str, str]]:
    """Card inputs (untrusted strings) → IncidentDraft fields, plus errors for what cannot even be parsed."""
    errors: dict[str, str] = {}
    draft: dict[str, object] = {}
    student = _str(value.get("student_id"))
    if student.isdigit():
        draft["student_id"] = int(student)
    else:
        errors["student_id"] = "Pick a student."
    try:
        day = date.fromisoformat(_str(value.get("date")))
        at = time.fromisoformat(_str(value.get("time")))
        draft["occurred_at"] = datetime.combine(day, at, ZoneInfo(time_zone))
    except ValueError:
        errors["occurred_at"] = "Give a valid date and time."
    for name in ("location", "activity", "incident_type", "severity", "description", "injuries", "witnesses",
                 "follow_up"):
        text_value = _str(value.get(name))
        if text_value or name in ("location", "activity", "incident_type", "severity", "description"):
            draft[name] = text_value or None
    chosen = [ACTIONS[a] for a in _str(value.get("actions")).split(",") if a in ACTIONS]
    notes = _str(value.get("action_notes"))
    if chosen or notes:
        draft["action_taken"] = "; ".join([*chosen, notes] if notes else chosen)
    return draft, errors


def _student_picker(state: IncidentFormState) -> dict[str, Any]:
    chosen = state.values.get("student_id", "")
    roster = state.roster[:MAX_STATIC_CHOICES]
    picker = _choice("student_id", "Student",
                     [(str(i), f"{n} (grade {grade_label(g)})" if g else n) for i, n, g in roster],
                     chosen, required=True)
    if len(state.roster) > MAX_STATIC_CHOICES:  # Teams fetches the rest by typeahead (Data.Query)
        picker["choices.data"] = {"type": "Data.Query", "dataset": "students"}
    return picker
