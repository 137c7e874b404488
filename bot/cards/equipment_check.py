"""The equipment-check card: the item, its problems (one row per piece: number, fail/repair, note) with two empty
rows to add more, and Save. Input ids: ``p<i>_item``, ``p<i>_result``, ``p<i>_note``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.cards.elements import card, heading, text
from bot.cards.inputs import choice, error_line, execute
from bot.cards.inputs import submitted_text as _str
from domain.records.equipment import CheckSheet

SAVE = "equipment.save"
CANCEL = "equipment.cancel"
EMPTY_ROWS = 2
RESULTS = [("fail", "Fail: out of service"), ("repair", "Needs repair")]


@dataclass(slots=True)
class CheckFormState:
    key: str
    equipment_id: int
    name: str
    pieces: int
    day: date
    rows: list[dict[str, str]] = field(default_factory=list)  # item, result, note
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_sheet(cls, sheet: CheckSheet) -> CheckFormState:
        return cls(sheet.key, sheet.equipment_id, sheet.name, sheet.pieces, sheet.day,
                   [{"item": i or "", "result": r, "note": n} for i, r, n in sheet.problems])


def equipment_check_card(state: CheckFormState) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        heading(f"Equipment check — {state.name}"),
        text(f"{state.day:%A, %b} {state.day.day} · {state.pieces} on hand (#1–#{state.pieces}). Pieces not listed "
             "passed. A failed piece goes out of service when you press Save.", subtle=True),
    ]
    if state.errors:
        body.append({"type": "TextBlock", "text": "Please fix the fields marked below; nothing was saved.",
                     "color": "Attention", "wrap": True, "weight": "Bolder"})
        for key in ("day", "form", "problems"):
            if key in state.errors:
                body.append(error_line(state.errors[key]))
    for i, row in enumerate([*state.rows, *({"item": "", "result": "", "note": ""} for _ in range(EMPTY_ROWS))]):
        body.append({"type": "ColumnSet", "columns": [
            {"type": "Column", "width": "auto", "items": [
                {"type": "Input.Text", "id": f"p{i}_item", "label": "Piece", "placeholder": "#3 (blank: whole item)",
                 "maxLength": 10, "value": row["item"]}]},
            {"type": "Column", "width": "stretch", "items": [
                choice(f"p{i}_result", "Result", RESULTS, row["result"])]},
        ]})
        body.append({"type": "Input.Text", "id": f"p{i}_note", "label": "What is wrong", "maxLength": 200,
                     "value": row["note"]})
        if f"problem_{i}" in state.errors:
            body.append(error_line(state.errors[f"problem_{i}"]))
    data = {"form_key": state.key, "equipment_id": state.equipment_id, "day": state.day.isoformat()}
    return card(body, [execute("Save", SAVE, data, style="positive"),
                       execute("Cancel", CANCEL, {"form_key": state.key}, inputs="none")])


def parse_check_inputs(value: dict[str, Any]) -> tuple[dict[str, object], list[dict[str, str]], dict[str, str]]:
    """Card inputs → (CheckDraft fields, the rows as typed, errors for rows that can't be read)."""
    rows, problems, errors = [], [], {}
    for i in range(40):
        if f"p{i}_item" not in value and f"p{i}_result" not in value:
            continue
        row = {"item": _str(value.get(f"p{i}_item")), "result": _str(value.get(f"p{i}_result")),
               "note": _str(value.get(f"p{i}_note"))}
        if not any(row.values()):
            continue
        rows.append(row)
        if row["result"] not in ("fail", "repair"):
            errors[f"problem_{len(rows) - 1}"] = "Pick fail or needs repair."
            continue
        problems.append({"item": row["item"] or None, "result": row["result"], "note": row["note"]})
    equipment_id = _str(value.get("equipment_id"))
    draft = {"equipment_id": int(equipment_id) if equipment_id.isdigit() else 0, "day": _str(value.get("day")),
             "problems": problems}
    return draft, rows, errors
