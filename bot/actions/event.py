"""Event card actions: open a blank form, save (validated; errors in the same card), discard the form, cancel a
saved event, list today's / this week's events."""

from __future__ import annotations

from typing import Any, Literal

from bot.actions.outcome import CardOutcome
from bot.actions.student_incidents import student_name
from bot.cards.elements import card, text
from bot.cards.event_form import EventFormState, event_form_card, parse_event_inputs
from bot.cards.event_saved import event_list_card, event_saved_card
from domain.errors import InvalidInput, NotAllowed
from domain.events import DEFAULT_MINUTES, validate_draft
from tools.base import ToolDeps

VIA = "card:event"


async def open_event_form(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    events = deps.services.events
    values = {"date": deps.now.date().isoformat(), "duration": str(DEFAULT_MINUTES)}
    class_id = str(value.get("class_id") or "")
    if class_id.isdigit():
        values["class_id"] = class_id
    families: list[tuple[int, str]] = []
    student = str(value.get("student_id") or "")  # from a student card: "Meeting: <name>", guardians offered unticked
    if student.isdigit() and (name := await student_name(deps, int(student))):
        values["title"] = f"Meeting: {name}"
        families = await events.families(deps.actor, [int(student)])
    state = EventFormState(key=events.new_key(), choices=await events.choices(deps.actor), values=values,
                           families=families)
    return CardOutcome(cards=[event_form_card(state)])


async def save_event(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    events = deps.services.events
    key = str(value.get("form_key") or "")
    kept = {k: v for k, v in value.items() if isinstance(v, str) and k not in ("action", "form_key", "families")}
    draft, errors = parse_event_inputs(value, deps.actor.time_zone)
    try:
        if errors:
            raise InvalidInput("Some fields need attention.", errors)
        saved = await events.create(deps.actor, validate_draft(draft, deps.now), key, via=VIA)
    except InvalidInput as exc:
        return await _form_again(deps, value, key, kept, exc.field_errors or {"form": str(exc)})
    except NotAllowed as exc:
        return await _form_again(deps, value, key, kept, {"form": str(exc)})
    sentence = (f"Saved “{saved.title}”." if saved.created
                else f"“{saved.title}” was already saved; nothing new was added.")
    return CardOutcome(text=sentence, cards=[event_saved_card(saved)])


async def cancel_event_form(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return CardOutcome(text="Discarded: nothing was added to your calendar.",
                       cards=[card([text("Event discarded. Nothing was added to your calendar.")])])


async def remove_event(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    event_id = str(value.get("event_id") or "")
    if not event_id.isdigit():
        return CardOutcome(text="That button isn't valid any more.")
    saved = await deps.services.events.cancel(deps.actor, int(event_id), via=VIA)
    sentence = f"Cancelled “{saved.title}”." if saved.created else f"“{saved.title}” was already cancelled."
    return CardOutcome(text=sentence, cards=[event_saved_card(saved)])


async def list_events(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    span: Literal["today", "week"] = "today" if value.get("span") == "today" else "week"
    items = await deps.services.events.upcoming(deps.actor, span, deps.now)
    return CardOutcome(cards=[event_list_card(span, items)])


async def _form_again(deps: ToolDeps, value: dict[str, Any], key: str, values: dict[str, str],
                      errors: dict[str, str]) -> CardOutcome:
    events = deps.services.events
    family_ids = [int(p) for p in str(value.get("families") or "").split(",") if p.isdigit()]
    state = EventFormState(key=key, choices=await events.choices(deps.actor), values=values, errors=errors,
                           families=await events.families(deps.actor, family_ids))
    return CardOutcome(text="Please fix the fields marked on the form; nothing was saved.",
                       cards=[event_form_card(state)])
