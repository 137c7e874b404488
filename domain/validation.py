"""Validating untrusted input (card submissions, model arguments) into a pydantic model, with one short message per
field for the card to show next to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from domain.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)
SUMMARY = "Some fields need attention."


def field_message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind in ("missing", "string_too_short"):
        return "Required."
    if kind == "string_too_long":
        return f"Too long (at most {error.get('ctx', {}).get('max_length')} characters)."
    if kind in ("literal_error", "enum"):
        return "Pick one of the options."
    if kind == "too_long":
        return "Too many selected."
    return "Not valid."


def validate_fields(
    model: type[M], data: dict[str, Any], special: Callable[[ErrorDetails], str | None] | None = None
) -> M:
    """``model.model_validate(data)``, or ``InvalidInput`` whose ``field_errors`` name each field's problem;
    ``special`` may word a field's message itself (return None to use the default)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = {
            str(e["loc"][0]) if e["loc"] else "form": (special(e) if special else None) or field_message(e)
            for e in exc.errors()
        }
        raise InvalidInput(SUMMARY, errors) from exc
