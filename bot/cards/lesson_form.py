"""The lesson request form: grade, topic, duration, class size, equipment available, focus standard.

A submission with problems comes back as the same form with the user's values kept and each message next to its
field. Input ids here are the contract with ``parse_lesson_inputs``; values come back as strings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.cards.elements import card, grade_label, heading, text
from bot.cards.inputs import field as _field
from bot.cards.inputs import submitted_text as _str
from domain.lessons import DEFAULT_MINUTES, MAX_MINUTES, MIN_MINUTES

REQUEST = "lesson.request"
FIELDS = ("grade", "topic", "duration_minutes", "class_size", "equipment", "focus")


@dataclass(slots=True)
class LessonFormState:
    values: dict[str, str] = field(default_factory=lambda: {"duration_minutes": str(DEFAULT_MINUTES)})
    errors: dict[str, str] = field(default_factory=dict)
    title: str = "Lesson request"


def lesson_form_card(state: LessonFormState) -> dict[str, Any]:
    v, e = state.values, state.errors
    body: list[dict[str, Any]] = [heading(state.title),
                                  text("I'll build a plan from the district curriculum; nothing is saved until you "
                                       "press Save on the plan.", subtle=True)]
    if e:
        body.append({"type": "TextBlock", "text": "Please fix the fields marked below; nothing was saved.",
                     "color": "Attention", "wrap": True, "weight": "Bolder"})
    grades = [{"title": "Kindergarten" if g == 0 else f"Grade {grade_label(g)}", "value": str(g)} for g in range(13)]
    body += _field({"type": "Input.ChoiceSet", "id": "grade", "label": "Grade", "style": "compact", "isRequired": True,
                    "errorMessage": "Pick a grade.", "choices": grades, "value": v.get("grade", "")}, e.get("grade"))
    body += _field({"type": "Input.Text", "id": "topic", "label": "Topic", "maxLength": 200, "isRequired": True,
                    "errorMessage": "Required.", "placeholder": "e.g. volleyball forearm pass",
                    "value": v.get("topic", "")}, e.get("topic"))
    body += _field(_number("duration_minutes", "Duration (minutes)", v, MIN_MINUTES, MAX_MINUTES, required=True),
                   e.get("duration_minutes"))
    body += _field(_number("class_size", "Class size", v, 1, 80), e.get("class_size"))
    body += _field({"type": "Input.Text", "id": "equipment", "label": "Equipment available", "maxLength": 600,
                    "isMultiline": True, "placeholder": "comma-separated, e.g. trainer volleyballs, low nets, cones",
                    "value": v.get("equipment", "")}, e.get("equipment"))
    body += _field({"type": "Input.Text", "id": "focus", "label": "Focus standard (optional)", "maxLength": 200,
                    "placeholder": "e.g. S1.M13 forearm pass, or 'teamwork'", "value": v.get("focus", "")},
                   e.get("focus"))
    submit = {"action": REQUEST}
    actions = [{"type": "Action.Execute", "title": "Create plan", "verb": REQUEST, "data": submit, "style": "positive",
                "associatedInputs": "auto",
                "fallback": {"type": "Action.Submit", "title": "Create plan", "data": submit,
                             "associatedInputs": "auto"}}]
    return card(body, actions)


def parse_lesson_inputs(value: dict[str, Any]) -> tuple[dict[str, object], dict[str, str]]:
    """Card inputs (untrusted strings) → LessonRequest fields, plus errors for what cannot even be parsed."""
    fields: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name, label in (("grade", "Pick a grade."), ("duration_minutes", "Give a whole number of minutes."),
                        ("class_size", "Give a whole number of students.")):
        raw = _str(value.get(name))
        if not raw:
            if name != "class_size":
                errors[name] = "Required." if name == "duration_minutes" else label
            continue
        try:
            number = float(raw)
        except ValueError:
            errors[name] = label
            continue
        if number != int(number):
            errors[name] = label
        else:
            fields[name] = int(number)
    fields["topic"] = _str(value.get("topic"))
    equipment = [item.strip() for item in _str(value.get("equipment")).replace("\n", ",").split(",") if item.strip()]
    if any(len(item) > 80 for item in equipment):
        errors["equipment"] = "Keep each item under 80 characters."
    fields["equipment"] = equipment
    focus = _str(value.get("focus"))
    if focus:
        fields["focus"] = focus
    return fields, errors


def kept_values(value: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in value.items() if k in FIELDS and isinstance(v, str)}


def _number(input_id: str, label: str, values: dict[str, str], low: int, high: int, *,
            required: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Number", "id": input_id, "label": label, "min": low, "max": high,
                               "errorMessage": f"From {low} to {high}."}
    raw = values.get(input_id, "")
    try:
        element["value"] = int(float(raw)) if raw else None
    except ValueError:
        element["value"] = None
    if element["value"] is None:
        del element["value"]
    if required:
        element["isRequired"] = True
    return element
