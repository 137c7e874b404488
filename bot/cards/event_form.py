"""The event form: blank, a model proposal prefilled (with conflicts), or a submission re-rendered with errors.

Input ids here are the contract with ``parse_event_inputs``; values come back as strings. Guardian boxes start
unticked and show no e-mail addresses (those are resolved at save time, for students the caller may see)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from bot.cards.elements import card, escape, heading, text
from bot.cards.inputs import choice as _choice
from bot.cards.inputs import error_line, execute
from bot.cards.inputs import field as _field
from bot.cards.inputs import submitted_text as _str
from bot.cards.inputs import text_input as _text_input
from domain.calendar.backend import Busy
from domain.calendar.times import combine, describe, zone
from domain.errors import InvalidInput
from domain.events import EventChoices, EventProposal

SAVE = "event.save"
CANCEL = "event.cancel"
MAX_CHOICES = 150
ERROR_FIELDS = {  # draft field → the input its message sits under
    "start": "time", "duration_minutes": "duration", "staff_ids": "staff", "guardian_student_ids": "guardians",
}


@dataclass(slots=True)
class EventFormState:
    key: str
    choices: EventChoices
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    families: list[tuple[int, str]] = field(default_factory=list)
    conflicts: list[Busy] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    title: str = "New event"
    note: str | None = None

    @classmethod
    def from_proposal(cls, proposal: EventProposal) -> EventFormState:
        values = {
            "title": proposal.title, "date": proposal.start.date().isoformat(),
            "time": proposal.start.strftime("%H:%M"),
            "duration": str(proposal.duration_minutes), "location": proposal.location,
            "staff": ",".join(str(i) for i in proposal.staff_ids),
            "class_id": str(proposal.class_id) if proposal.class_id else "",
        }
        where = "your Outlook calendar" if proposal.mode == "outlook" else "the Faraday calendar"
        return cls(key=proposal.key, choices=proposal.choices, values=values, families=proposal.families,
                   conflicts=proposal.conflicts, notes=proposal.notes, title="Check and save this event",
                   note=f"Nothing is added to {where} until you press Save.")


def event_form_card(state: EventFormState) -> dict[str, Any]:
    v, e = state.values, {ERROR_FIELDS.get(k, k): m for k, m in state.errors.items()}
    body: list[dict[str, Any]] = [heading(state.title)]
    if state.note:
        body.append(text(state.note, subtle=True))
    if e:
        body.append({"type": "TextBlock", "text": "Please fix the fields marked below; nothing was saved.",
                     "color": "Attention", "wrap": True, "weight": "Bolder"})
        if "form" in e:
            body.append(error_line(e["form"]))
    if state.conflicts:
        body.append(_conflicts(state.conflicts))
    body += [text(n, subtle=True) for n in state.notes]
    body += _field(_text_input("title", "Title", v, max_length=200, required=True), e.get("title"))
    body.append({"type": "ColumnSet", "columns": [
        _column(_field({"type": "Input.Date", "id": "date", "label": "Date", "isRequired": True,
                        "errorMessage": "Required.", "value": v.get("date", "")}, e.get("date"))),
        _column(_field({"type": "Input.Time", "id": "time", "label": "Start", "isRequired": True,
                        "errorMessage": "Required.", "value": v.get("time", "")}, e.get("time"))),
        _column(_field({"type": "Input.Number", "id": "duration", "label": "Minutes", "min": 5, "max": 480,
                        "isRequired": True, "errorMessage": "5 to 480 minutes.", "value": _number(v.get("duration"))},
                       e.get("duration"))),
    ]})
    body += _field(_text_input("location", "Location", v, max_length=200), e.get("location"))
    staff = [(str(i), n) for i, n in state.choices.staff[:MAX_CHOICES]]
    body += _field(_choice("staff", "Invite staff", staff, v.get("staff", ""), multi=True), e.get("staff"))
    classes = [(str(i), n) for i, n in state.choices.classes]
    if classes:
        body += _field(_choice("class_id", "Class", classes, v.get("class_id", "")), e.get("class_id"))
    if state.families:
        families = [(str(i), label) for i, label in state.families]
        body += _field(_choice("guardians", "Invite guardians (tick to invite; e-mail on file)", families,
                               v.get("guardians", ""), multi=True, expanded=True), e.get("guardians"))
    body += _field(_text_input("description", "Notes for attendees", v, max_length=2000, multiline=True),
                   e.get("description"))
    data_extra = {"families": ",".join(str(i) for i, _ in state.families)} if state.families else {}
    return card(body, [execute("Save", SAVE, {"form_key": state.key, **data_extra}, style="positive"),
                       execute("Cancel", CANCEL, {"form_key": state.key}, inputs="none")])


def parse_event_inputs(value: dict[str, Any], time_zone: str) -> tuple[dict[str, object], dict[str, str]]:
    """Card inputs (untrusted strings) → EventDraft fields, plus errors for what cannot even be parsed."""
    errors: dict[str, str] = {}
    draft: dict[str, object] = {"time_zone": time_zone, "title": _str(value.get("title"))}
    try:
        day, at = date.fromisoformat(_str(value.get("date"))), time.fromisoformat(_str(value.get("time")))
        draft["start"], _ = combine(day, at, zone(time_zone))
    except InvalidInput as exc:
        errors["time"] = exc.field_errors.get("start", str(exc))
    except ValueError:
        errors["time"] = "Give a valid date and start time."
    duration = _str(value.get("duration"))
    try:
        draft["duration_minutes"] = int(float(duration)) if duration else None
    except ValueError:
        errors["duration"] = "Give a number of minutes."
    for name in ("location", "description"):
        draft[name] = _str(value.get(name)) or None
    for name, target in (("staff", "staff_ids"), ("guardians", "guardian_student_ids")):
        ids = [p for p in _str(value.get(name)).split(",") if p]
        if all(p.isdigit() for p in ids):
            draft[target] = [int(p) for p in ids]
        else:
            errors[name] = "Pick from the list."
    class_id = _str(value.get("class_id"))
    if class_id and not class_id.isdigit():
        errors["class_id"] = "Pick one of your classes."
    draft["class_id"] = int(class_id) if class_id.isdigit() else None
    return draft, errors


def _conflicts(items: list[Busy]) -> dict[str, Any]:
    lines = [f"• {escape(b.title)}: {escape(describe(b.start))} – {b.end:%H:%M}" for b in items[:8]]
    return {"type": "Container", "style": "warning", "items": [
        {"type": "TextBlock", "text": "Conflicts with your calendar", "weight": "Bolder", "wrap": True},
        *({"type": "TextBlock", "text": line, "wrap": True, "spacing": "None"} for line in lines),
    ]}


def _number(raw: str | None) -> int | str:
    return int(raw) if raw and raw.isdigit() else ""


def _column(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "Column", "width": "stretch", "items": items}
