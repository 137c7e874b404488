"""Equipment-check card actions: Save (validated; errors in the same card, nothing saved) and Cancel."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, heading, text
from bot.cards.equipment_check import CheckFormState, equipment_check_card, parse_check_inputs
from domain.errors import InvalidInput, NotAllowed
from domain.records.equipment import validate_check
from tools.base import ToolDeps

VIA = "card:equipment"


async def save_check(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    service = deps.services.equipment_checks
    if service is None:
        return CardOutcome(text="Equipment checks can't be recorded here.")
    key = str(value.get("form_key") or "")
    draft, rows, errors = parse_check_inputs(value)
    try:
        if errors:
            raise InvalidInput("Some fields need attention.", errors)
        saved = await service.save(deps.actor, validate_check(draft, deps.now.date()), key, via=VIA)
    except InvalidInput as exc:
        field_errors = {_row_key(k): v for k, v in (exc.field_errors or {"form": str(exc)}).items()}
        return await _form_again(deps, key, draft, rows, field_errors)
    except NotAllowed as exc:
        return CardOutcome(text=str(exc), cards=[card([text(str(exc))])])
    if not saved.created:
        sentence = f"This check of {saved.name} was already saved; nothing new was written."
    elif saved.out_of_service:
        sentence = (f"Saved the check of {saved.name}. Out of service now: {', '.join(saved.out_of_service)} — "
                    "it shows in the equipment and safety checks.")
        if saved.affected:
            sentence += " Classes meeting today that use it: " + "; ".join(saved.affected) + "."
        if saved.notified:
            sentence += (f" Faraday is telling the {saved.notified} other teacher{'s' if saved.notified > 1 else ''}"
                         " whose classes use it, privately.")
    else:
        sentence = f"Saved the check of {saved.name}: {'all passed' if saved.result == 'pass' else 'needs repair'}."
    return CardOutcome(text=sentence, cards=[card([heading(f"Equipment check — {saved.name}"), text(sentence)])])


async def cancel_check(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return CardOutcome(text="Discarded: nothing was saved.",
                       cards=[card([text("Equipment check discarded. Nothing was saved.")])])


def _row_key(key: str) -> str:
    """pydantic's "problems" loc (the list) → the card's per-row key where it can be told apart."""
    return key if key.startswith(("problem_", "day", "form")) else "problems"


async def _form_again(deps: ToolDeps, key: str, draft: dict[str, object], rows: list[dict[str, str]],
                      errors: dict[str, str]) -> CardOutcome:
    assert deps.services.equipment_checks is not None
    equipment_id = int(draft.get("equipment_id") or 0)  # type: ignore[call-overload]
    if equipment_id <= 0:
        return CardOutcome(text="This card has expired; open a new one.")
    name, pieces = await deps.services.equipment_checks.item(deps.actor, equipment_id)
    try:
        day = date.fromisoformat(str(draft.get("day")))
    except ValueError:
        day = deps.now.date()
    state = CheckFormState(key, equipment_id, name, pieces, day, rows, errors)
    return CardOutcome(text="Please fix the fields marked on the card; nothing was saved.",
                       cards=[equipment_check_card(state)])
