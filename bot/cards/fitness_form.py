"""The fitness-test card: one test (picked, or chosen on the card), one input per student; blank means not tested.
Input ids: ``test`` and ``f_<student id>``; the class, day and key travel in the Save button's data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.cards.elements import card, escape, heading, text
from bot.cards.inputs import choice, error_line, execute
from bot.cards.inputs import submitted_text as _str
from domain.records.fitness import FitnessSheet, SavedFitness
from domain.records.fitness_bands import TESTS

SAVE = "fitness.save"
CANCEL = "fitness.cancel"
PREFIX = "f_"
PLACEHOLDER = {"laps": "laps", "s": "m:ss", "reps": "reps", "in": "inches"}


@dataclass(slots=True)
class FitnessFormState:
    key: str
    test: str
    day: date
    class_id: int | None
    title: str
    students: list[tuple[int, str]]
    values: dict[int, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    note: str | None = None

    @classmethod
    def from_sheet(cls, sheet: FitnessSheet) -> FitnessFormState:
        note = "Leave a student blank if they were not tested. Nothing is saved until you press Save."
        if sheet.unmatched:
            note += " Not matched: " + ", ".join(sheet.unmatched) + "."
        return cls(sheet.key, sheet.test or "", sheet.day, sheet.class_id, sheet.title,
                   [(sid, name) for sid, name, _ in sheet.lines], {sid: v for sid, _, v in sheet.lines if v}, note=note)


def fitness_form_card(state: FitnessFormState) -> dict[str, Any]:
    spec = TESTS.get(state.test)
    body: list[dict[str, Any]] = [heading(f"Fitness test — {state.title}"),
                                  text(f"{state.day:%A, %b} {state.day.day} · results are health information: "
                                       "visible to the student's teachers, the nurse and admins only", subtle=True)]
    if state.note:
        body.append(text(state.note, subtle=True))
    if state.errors:
        body.append({"type": "TextBlock", "text": "Please fix the fields marked below; nothing was saved.",
                     "color": "Attention", "wrap": True, "weight": "Bolder"})
        for key in ("day", "form"):
            if key in state.errors:
                body.append(error_line(state.errors[key]))
    body.append(choice("test", "Test", [(t.name, t.label) for t in TESTS.values()], state.test, required=True))
    if "test" in state.errors:
        body.append(error_line(state.errors["test"]))
    for sid, name in state.students:
        body.append({"type": "Input.Text", "id": f"{PREFIX}{sid}", "label": name, "maxLength": 12,
                     "value": state.values.get(sid, ""),
                     "placeholder": PLACEHOLDER.get(spec.unit, "") if spec else "result"})
        if f"student_{sid}" in state.errors:
            body.append(error_line(state.errors[f"student_{sid}"]))
    data = {"form_key": state.key, "class_id": state.class_id or "", "day": state.day.isoformat(),
            "students": ",".join(str(sid) for sid, _ in state.students)}
    return card(body, [execute("Save", SAVE, data, style="positive"),
                       execute("Cancel", CANCEL, {"form_key": state.key}, inputs="none")])


def parse_fitness_inputs(value: dict[str, Any]) -> dict[str, object]:
    values = {key[len(PREFIX):]: _str(raw) for key, raw in value.items()
              if isinstance(key, str) and key.startswith(PREFIX) and key[len(PREFIX):].isdigit()}
    class_id = _str(value.get("class_id"))
    return {"class_id": int(class_id) if class_id.isdigit() else None, "test": _str(value.get("test")),
            "day": _str(value.get("day")), "values": values}


def fitness_saved_card(saved: SavedFitness, sentence: str) -> dict[str, Any]:
    body: list[dict[str, Any]] = [heading(f"Fitness test — {TESTS[saved.test].label}"), text(sentence)]
    if saved.zones:
        body.append({"type": "FactSet", "facts": [{"title": escape(name), "value": escape(f"{result} · {zone}")}
                                                  for name, result, zone in saved.zones]})
    return card(body)
