"""Skill-assessment card actions: Save (validated; errors in the same card, nothing saved) and Cancel."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, heading, text
from bot.cards.skills_form import SkillFormState, parse_skill_inputs, skills_form_card
from domain.errors import InvalidInput, NotAllowed
from domain.records.skills import validate_skills
from tools.base import ToolDeps

VIA = "card:skills"


async def save_skills(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    service = deps.services.skills
    if service is None:
        return CardOutcome(text="Skill assessments can't be recorded here.")
    key = str(value.get("form_key") or "")
    data = parse_skill_inputs(value)
    try:
        saved = await service.save(deps.actor, validate_skills(data, deps.now.date()), key, via=VIA,
                                   today=deps.now.date())
    except InvalidInput as exc:
        return await _form_again(deps, key, data, exc.field_errors or {"form": str(exc)})
    except NotAllowed as exc:
        return CardOutcome(text=str(exc), cards=[card([text(str(exc))])])
    if saved.created:
        sentence = (f"Saved {saved.count} {saved.skill} level{'s' if saved.count != 1 else ''} for {saved.class_name}"
                    f" ({saved.day:%a %b} {saved.day.day}): {saved.below} below the benchmark (level 3).")
    else:
        sentence = f"These {saved.skill} levels were already saved; nothing new was written."
    return CardOutcome(text=sentence, cards=[card([heading(f"Skill assessment — {saved.skill}"), text(sentence)])])


async def cancel_skills(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return CardOutcome(text="Discarded: nothing was saved.",
                       cards=[card([text("Skill card discarded. Nothing was saved.")])])


async def _form_again(deps: ToolDeps, key: str, data: dict[str, object], errors: dict[str, str]) -> CardOutcome:
    assert deps.services.skills is not None
    class_id = str(data.get("class_id") or "")
    if not class_id.isdigit():
        return CardOutcome(text="This card has expired; open a new one.")
    try:
        day = date.fromisoformat(str(data.get("day")))
    except ValueError:
        day = deps.now.date()
    sheet = await deps.services.skills.sheet(deps.actor, skill=str(data.get("skill") or ""), class_text=None, day=day,
                                             now=deps.now, via=VIA, class_id=int(class_id), key=key)
    state = SkillFormState.from_sheet(sheet)
    levels = data.get("levels") or {}
    assert isinstance(levels, dict)
    state.values = {int(k): str(v) for k, v in levels.items() if v}
    state.errors, state.note = errors, None
    return CardOutcome(text="Please fix the fields marked on the card; nothing was saved.",
                       cards=[skills_form_card(state)])
