"""Attendance card actions: Save (validated; errors come back in the same card, nothing saved) and Cancel."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.attendance_form import AttendanceFormState, attendance_form_card, parse_attendance_inputs, summary
from bot.cards.elements import card, heading, text
from domain.errors import InvalidInput, NotAllowed
from domain.records.attendance import validate_attendance
from tools.base import ToolDeps

VIA = "card:attendance"


async def save_attendance(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    service = deps.services.attendance
    if service is None:
        return CardOutcome(text="Attendance can't be recorded here.")
    key = str(value.get("form_key") or "")
    draft, kept, errors = parse_attendance_inputs(value)
    try:
        if errors:
            raise InvalidInput("Some fields need attention.", errors)
        valid = validate_attendance(draft, deps.now.date())
        saved = await service.save(deps.actor, valid, key, via=VIA, today=deps.now.date())
    except InvalidInput as exc:
        return await _form_again(deps, key, draft, kept, exc.field_errors or {"form": str(exc)})
    except NotAllowed as exc:
        return CardOutcome(text=str(exc), cards=[card([text(str(exc))])])
    when = f"{saved.day:%a %b} {saved.day.day}"
    if saved.created:
        sentence = f"Saved attendance for {saved.class_name} ({when}): {summary(saved.counts)}."
        if saved.corrected:
            sentence += f" {saved.corrected} correction{'s' if saved.corrected != 1 else ''} recorded."
    else:
        sentence = f"This attendance for {saved.class_name} ({when}) was already saved; nothing new was written."
    return CardOutcome(text=sentence, cards=[card([heading(f"Attendance — {saved.class_name}"), text(sentence)])])


async def cancel_attendance(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return CardOutcome(text="Discarded: nothing was saved.",
                       cards=[card([text("Attendance card discarded. Nothing was saved.")])])


async def _form_again(deps: ToolDeps, key: str, draft: dict[str, object], kept: dict[int, str],
                      errors: dict[str, str]) -> CardOutcome:
    """The same card with the submitted choices and a message next to each problem."""
    assert deps.services.attendance is not None
    raw_class = draft.get("class_id")
    class_id = raw_class if isinstance(raw_class, int) else 0
    try:
        day = date.fromisoformat(str(draft.get("day")))
    except ValueError:
        day = deps.now.date()
    if class_id <= 0:
        return CardOutcome(text="This card has expired; open a new one.")
    sheet = await deps.services.attendance.sheet(deps.actor, class_text=None, day=day, now=deps.now, via=VIA,
                                                 class_id=class_id, key=key)
    state = AttendanceFormState.from_sheet(sheet)
    if kept:  # a class split over several cards: this card's students only
        state.students = [(sid, name) for sid, name in state.students if sid in kept]
    state.values.update(kept)
    state.errors = errors
    state.note = None
    return CardOutcome(text="Please fix the students marked on the card; nothing was saved.",
                       cards=[attendance_form_card(state)])
