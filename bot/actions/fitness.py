"""Fitness card actions: Save (validated per student; errors in the same card, nothing saved) and Cancel."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, text
from bot.cards.fitness_form import FitnessFormState, fitness_form_card, fitness_saved_card, parse_fitness_inputs
from domain.errors import InvalidInput, NotAllowed
from domain.records.fitness import validate_fitness
from domain.records.fitness_bands import TESTS
from tools.base import ToolDeps

VIA = "card:fitness"


async def save_fitness(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    service = deps.services.fitness
    if service is None:
        return CardOutcome(text="Fitness results can't be recorded here.")
    key = str(value.get("form_key") or "")
    data = parse_fitness_inputs(value)
    try:
        draft = validate_fitness(data, deps.now.date())
        saved = await service.save(deps.actor, draft, key, via=VIA, today=deps.now.date())
    except InvalidInput as exc:
        return await _form_again(deps, key, value, data, exc.field_errors or {"form": str(exc)})
    except NotAllowed as exc:
        return CardOutcome(text=str(exc), cards=[card([text(str(exc))])])
    label = TESTS[saved.test].label
    if saved.created:
        sentence = (f"Saved {saved.count} {label} result{'s' if saved.count != 1 else ''} "
                    f"({saved.day:%a %b} {saved.day.day}): {saved.in_zone} in the Healthy Fitness Zone.")
    else:
        sentence = f"These {label} results were already saved; nothing new was written."
    return CardOutcome(text=sentence, cards=[fitness_saved_card(saved, sentence)])


async def cancel_fitness(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return CardOutcome(text="Discarded: nothing was saved.",
                       cards=[card([text("Fitness card discarded. Nothing was saved.")])])


async def _form_again(deps: ToolDeps, key: str, value: dict[str, Any], data: dict[str, object],
                      errors: dict[str, str]) -> CardOutcome:
    assert deps.services.fitness is not None
    try:
        day = date.fromisoformat(str(data.get("day")))
    except ValueError:
        day = deps.now.date()
    class_id = data.get("class_id")
    test = str(data.get("test") or "") or None
    if isinstance(class_id, int):
        sheet = await deps.services.fitness.sheet(deps.actor, test=test, class_text=None, day=day, now=deps.now,
                                                  via=VIA, class_id=class_id, key=key)
        state = FitnessFormState.from_sheet(sheet)
    else:
        ids = [int(s) for s in str(value.get("students") or "").split(",") if s.isdigit()]
        names = await deps.services.fitness.names(deps.actor, ids)
        state = FitnessFormState(key, test or "", day, None, "your students",
                                 [(sid, names[sid]) for sid in ids if sid in names])
    typed = data.get("values") or {}
    assert isinstance(typed, dict)
    state.values = {int(k): str(v) for k, v in typed.items()}
    state.errors, state.note = errors, None
    return CardOutcome(text="Please fix the fields marked on the card; nothing was saved.",
                       cards=[fitness_form_card(state)])
