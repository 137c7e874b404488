"""The skill-assessment card: the skill (text, with the unit's skills assessed so far as hints) and a compact rubric
choice per student (blank: not assessed). Input ids: ``skill`` and ``s_<student id>``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.cards.elements import card, heading, text
from bot.cards.inputs import error_line, execute, text_input
from bot.cards.inputs import submitted_text as _str
from domain.records.skills import LEVELS, SkillSheet

SAVE = "skills.save"
CANCEL = "skills.cancel"
PREFIX = "s_"
NOT_ASSESSED = "na"  # a choice needs a value: this one means "leave blank"


@dataclass(slots=True)
class SkillFormState:
    key: str
    class_id: int
    class_name: str
    unit: str
    skill: str
    day: date
    students: list[tuple[int, str]]
    values: dict[int, str] = field(default_factory=dict)
    suggestions: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)
    note: str | None = None

    @classmethod
    def from_sheet(cls, sheet: SkillSheet) -> SkillFormState:
        note = "Leave a student blank if not assessed. Nothing is saved until you press Save."
        if sheet.unmatched:
            note += " Not matched in this class: " + ", ".join(sheet.unmatched) + "."
        return cls(sheet.key, sheet.class_id, sheet.class_name, sheet.unit, sheet.skill, sheet.day,
                   [(sid, name) for sid, name, _ in sheet.lines], {sid: v for sid, _, v in sheet.lines if v},
                   sheet.suggestions, note=note)


def skills_form_card(state: SkillFormState) -> dict[str, Any]:
    body: list[dict[str, Any]] = [heading(f"Skill assessment — {state.class_name}"),
                                  text(f"{state.day:%A, %b} {state.day.day} · unit: {state.unit or '—'} · "
                                       "rubric 1 beginning, 2 developing, 3 meeting, 4 exceeding", subtle=True)]
    if state.note:
        body.append(text(state.note, subtle=True))
    if state.errors:
        body.append({"type": "TextBlock", "text": "Please fix the fields marked below; nothing was saved.",
                     "color": "Attention", "wrap": True, "weight": "Bolder"})
        for key in ("day", "form"):
            if key in state.errors:
                body.append(error_line(state.errors[key]))
    skill = text_input("skill", "Skill", {"skill": state.skill}, max_length=80, required=True)
    if state.suggestions:
        skill["placeholder"] = ", ".join(state.suggestions[:6])
    body.append(skill)
    if "skill" in state.errors:
        body.append(error_line(state.errors["skill"]))
    choices = [{"title": "Not assessed", "value": NOT_ASSESSED},
               *({"title": t, "value": str(v)} for v, t in LEVELS.items())]
    for sid, name in state.students:
        body.append({"type": "Input.ChoiceSet", "id": f"{PREFIX}{sid}", "label": name, "style": "compact",
                     "value": state.values.get(sid) or NOT_ASSESSED, "choices": choices})
        if f"student_{sid}" in state.errors:
            body.append(error_line(state.errors[f"student_{sid}"]))
    data = {"form_key": state.key, "class_id": state.class_id, "day": state.day.isoformat()}
    return card(body, [execute("Save", SAVE, data, style="positive"),
                       execute("Cancel", CANCEL, {"form_key": state.key}, inputs="none")])


def parse_skill_inputs(value: dict[str, Any]) -> dict[str, object]:
    return {"class_id": _str(value.get("class_id")), "skill": _str(value.get("skill")), "day": _str(value.get("day")),
            "levels": {key[len(PREFIX):]: "" if _str(raw) == NOT_ASSESSED else _str(raw) for key, raw in value.items()
                       if isinstance(key, str) and key.startswith(PREFIX) and key[len(PREFIX):].isdigit()}}
