"""Form pieces shared by every card that takes input: inputs, per-field error lines, and universal-action buttons
(Action.Execute with an Action.Submit fallback carrying the same data)."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import escape


def execute(
    title: str, verb: str, data: dict[str, Any], *, inputs: str = "auto", style: str | None = None
) -> dict[str, Any]:
    """A button that comes back as ``{"action": verb, **data, **inputs}`` (invoke, or message for the fallback)."""
    payload = {"action": verb, **data}
    action: dict[str, Any] = {
        "type": "Action.Execute", "title": title, "verb": verb, "data": payload, "associatedInputs": inputs,
        "fallback": {"type": "Action.Submit", "title": title, "data": payload, "associatedInputs": inputs},
    }
    if style:
        action["style"] = style
    return action


def error_line(message: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": escape(message), "color": "Attention", "size": "Small", "wrap": True,
            "spacing": "None"}


def field(element: dict[str, Any], error: str | None) -> list[dict[str, Any]]:
    """An input, followed by its error message (server-side validation) when there is one."""
    return [element, error_line(error)] if error else [element]


def text_input(input_id: str, label: str, values: dict[str, str], *, max_length: int, required: bool = False,
               multiline: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Text", "id": input_id, "label": label, "maxLength": max_length,
                               "value": values.get(input_id, "")}
    if required:
        element |= {"isRequired": True, "errorMessage": "Required."}
    if multiline:
        element["isMultiline"] = True
    return element


def choice(input_id: str, label: str, choices: list[tuple[str, str]], value: str, *, required: bool = False,
           multi: bool = False, expanded: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet", "id": input_id, "label": label, "value": value,
        "choices": [{"title": title, "value": val} for val, title in choices],
        "style": "expanded" if expanded else "compact",
    }
    if multi:
        element["isMultiSelect"] = True
    if required:
        element |= {"isRequired": True, "errorMessage": "Pick one."}
    return element


def submitted_text(raw: object) -> str:
    """A submitted input value as text: strings trimmed, numbers as digits, anything else empty (untrusted input)."""
    if isinstance(raw, bool):
        return ""
    if isinstance(raw, int | float):
        return str(raw)
    return raw.strip() if isinstance(raw, str) else ""
