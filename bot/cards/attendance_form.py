"""The attendance card: one class, one day, one compact choice per student (everyone present by default).

A choice carries the status and, for sitting out, the reason ("sat_out:injury"), so each student is one tap on
Teams mobile. Input ids are ``a_<student id>``; the class and day travel in the Save button's data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.cards.elements import card, heading, text
from bot.cards.inputs import error_line, execute
from bot.cards.inputs import submitted_text as _str
from domain.records.attendance import AttendanceSheet

SAVE = "attendance.save"
CANCEL = "attendance.cancel"
PREFIX = "a_"
CHOICES: tuple[tuple[str, str], ...] = (
    ("present", "Present"),
    ("absent", "Absent"),
    ("tardy", "Tardy"),
    ("excused", "Excused"),
    ("sat_out:injury", "Sat out: injury"),
    ("sat_out:illness", "Sat out: illness"),
    ("sat_out:no_kit", "Sat out: no kit"),
    ("sat_out:medical_note", "Sat out: medical note"),
)
VALUES = {value for value, _ in CHOICES}
LABELS = {"present": "present", "absent": "absent", "tardy": "tardy", "excused": "excused", "sat_out": "sat out"}


def choice_value(status: str, reason: str | None) -> str:
    """The card value for a status; sitting out without a known reason is left unpicked (the teacher picks)."""
    if status == "sat_out":
        return f"sat_out:{reason}" if reason else ""
    return status


@dataclass(slots=True)
class AttendanceFormState:
    key: str
    class_id: int
    class_name: str
    day: date
    students: list[tuple[int, str]]  # (id, name) in roster order
    values: dict[int, str] = field(default_factory=dict)  # student id → card value
    errors: dict[str, str] = field(default_factory=dict)  # "day" | "form" | "student_<id>"
    note: str | None = None
    part: str = ""

    @classmethod
    def from_sheet(cls, sheet: AttendanceSheet) -> AttendanceFormState:
        notes = []
        if sheet.already_saved:
            notes.append("Attendance for this day was saved before: this card shows it. Change anyone and press Save "
                         "to correct it (the change is recorded).")
        else:
            notes.append("Everyone is present unless you change them. Nothing is saved until you press Save.")
        if sheet.unmatched:
            notes.append("Not matched to a student in this class: " + ", ".join(sheet.unmatched) + ". Set them below.")
        return cls(key=sheet.key, class_id=sheet.class_id, class_name=sheet.class_name, day=sheet.day,
                   students=[(line.student_id, line.name) for line in sheet.lines],
                   values={line.student_id: choice_value(line.status, line.reason) for line in sheet.lines},
                   note=" ".join(notes), part=sheet.part)


def attendance_form_card(state: AttendanceFormState) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        heading(f"Attendance — {state.class_name}"),
        text(f"{state.day:%A, %b} {state.day.day} · " + (state.part or f"{len(state.students)} students"), subtle=True),
    ]
    if state.note:
        body.append(text(state.note, subtle=True))
    if state.errors:
        body.append({"type": "TextBlock", "text": "Please fix the students marked below; nothing was saved.",
                     "color": "Attention", "wrap": True, "weight": "Bolder"})
        for key in ("day", "form", "marks"):
            if key in state.errors:
                body.append(error_line(state.errors[key]))
        on_card = {f"student_{sid}" for sid, _ in state.students}
        for key, message in state.errors.items():
            if key.startswith("student_") and key not in on_card:
                body.append(error_line(f"{message} A student sent with this card is not on the class roster."))
    for sid, name in state.students:
        body.append({"type": "Input.ChoiceSet", "id": f"{PREFIX}{sid}", "label": name, "style": "compact",
                     "value": state.values.get(sid, "present"),
                     "choices": [{"title": title, "value": value} for value, title in CHOICES]})
        if f"student_{sid}" in state.errors:
            body.append(error_line(state.errors[f"student_{sid}"]))
    data = {"form_key": state.key, "class_id": state.class_id, "day": state.day.isoformat()}
    return card(body, [execute("Save", SAVE, data, style="positive"),
                       execute("Cancel", CANCEL, {"form_key": state.key}, inputs="none")])


def parse_attendance_inputs(value: dict[str, Any]) -> tuple[dict[str, object], dict[int, str], dict[str, str]]:
    """Card inputs (untrusted) → (AttendanceDraft fields, the card values by student, per-field errors)."""
    errors: dict[str, str] = {}
    marks: list[dict[str, object]] = []
    kept: dict[int, str] = {}
    for key, raw in value.items():
        if not (isinstance(key, str) and key.startswith(PREFIX) and key[len(PREFIX):].isdigit()):
            continue
        sid, chosen = int(key[len(PREFIX):]), _str(raw)
        kept[sid] = chosen
        if chosen not in VALUES:
            errors[f"student_{sid}"] = "Pick one (for sat out, the reason)."
            continue
        status, _, reason = chosen.partition(":")
        marks.append({"student_id": sid, "status": status, "reason": reason or None})
    class_id = _str(value.get("class_id"))
    draft: dict[str, object] = {"class_id": int(class_id) if class_id.isdigit() else 0, "day": _str(value.get("day")),
                                "marks": marks}
    if not kept:
        errors["form"] = "This card has no students; open a new one."
    return draft, kept, errors


def summary(counts: dict[str, int]) -> str:
    order = ("present", "tardy", "sat_out", "excused", "absent")
    return ", ".join(f"{counts[s]} {LABELS[s]}" for s in order if counts.get(s))
