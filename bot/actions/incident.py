"""Incident form actions: open a blank form, save (validated; errors shown in the same card), cancel."""

from __future__ import annotations

from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, text
from bot.cards.incident_form import IncidentFormState, incident_form_card, parse_incident_inputs
from bot.cards.incident_saved import incident_saved_card
from domain.errors import InvalidInput, NotAllowed
from domain.incidents import validate_draft
from tools.base import ToolDeps

VIA = "card:incident"


async def open_incident_form(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    roster = await deps.services.students.roster(deps.actor)
    values = {"date": deps.now.date().isoformat(), "time": deps.now.strftime("%H:%M")}
    student = str(value.get("student_id") or "")
    if student.isdigit() and any(str(row[0]) == student for row in roster):  # only a student the caller may see
        values["student_id"] = student
    state = IncidentFormState(key=deps.services.incidents.new_key(), roster=roster, values=values)
    return CardOutcome(cards=[incident_form_card(state)])


async def save_incident(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    key = str(value.get("form_key") or "")
    kept = {k: v for k, v in value.items() if isinstance(v, str) and k not in ("action", "form_key")}
    draft, errors = parse_incident_inputs(value, deps.actor.time_zone)
    try:
        if errors:
            raise InvalidInput("Some fields need attention.", errors)
        valid = validate_draft(draft, deps.now)
        saved = await deps.services.incidents.create(deps.actor, valid, key, via=VIA)
    except InvalidInput as exc:
        return await _form_again(deps, key, kept, exc.field_errors or {"form": str(exc)})
    except NotAllowed as exc:
        return await _form_again(deps, key, kept, {"student_id": str(exc)})
    sentence = (
        f"Saved incident #{saved.id} for {saved.student_name}."
        if saved.created
        else f"Incident #{saved.id} was already saved; nothing new was written."
    )
    return CardOutcome(text=sentence, cards=[incident_saved_card(saved)])


async def cancel_incident(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return CardOutcome(text="Discarded: nothing was saved.",
                       cards=[card([text("Incident report discarded. Nothing was saved.")])])


async def _form_again(deps: ToolDeps, key: str, values: dict[str, str], errors: dict[str, str]) -> CardOutcome:
    roster = await deps.services.students.roster(deps.actor)
    state = IncidentFormState(key=key, roster=roster, values=values, errors=errors)
    return CardOutcome(text="Please fix the fields marked on the form; nothing was saved.",
                       cards=[incident_form_card(state)])
