"""Lesson card actions: the request form, Save (idempotent), Regenerate (next variation), Adjust duration, and
reopening a saved plan (its author only). Card data is untrusted: plans and requests are re-validated here."""

from __future__ import annotations

from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.lesson_form import LessonFormState, kept_values, lesson_form_card, parse_lesson_inputs
from bot.cards.lesson_plan import DURATION_INPUT, lesson_plan_card, lesson_saved_card
from domain.errors import InvalidInput
from domain.lessons import (
    MAX_MINUTES,
    MIN_MINUTES,
    LessonPlanResult,
    LessonRequest,
    rebalance,
    relabel,
    validate_plan,
    validate_request,
)
from knowledge.lesson_planning import NoUnit
from tools.base import ToolDeps

VIA = "card:lesson"
EXPIRED = "This lesson card is out of date; ask for the plan again."


async def open_lesson_form(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    return CardOutcome(cards=[lesson_form_card(LessonFormState())])


async def request_lesson(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    kept = kept_values(value)
    fields, errors = parse_lesson_inputs(value)
    request = None
    try:
        request = validate_request(fields)
    except InvalidInput as exc:
        errors = {**exc.field_errors, **errors}
    if errors or request is None:
        return _form_again(kept, errors or {"topic": "Not valid."})
    outcome = await deps.services.lesson_planner.prepare(request, number=deps.citations.source_number)
    if isinstance(outcome, NoUnit):
        return _form_again(kept, {"topic": outcome.message})
    return CardOutcome(text=_shown(outcome), cards=[lesson_plan_card(outcome)])


async def save_lesson(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    key = str(value.get("form_key") or "")
    plan = validate_plan(value.get("plan"))
    class_id = value.get("class_id") if isinstance(value.get("class_id"), int) else None
    saved = await deps.services.lessons.save(deps.actor, plan, key, class_id=class_id, via=VIA)
    result = LessonPlanResult(key=key, plan=saved.plan, request=_request_of(saved.plan), saved_id=saved.id)
    sentence = (f"Saved lesson plan #{saved.id}: {saved.title}." if saved.created
                else f"Lesson plan #{saved.id} was already saved; nothing new was written.")
    return CardOutcome(text=sentence, cards=[lesson_saved_card(result, created=saved.created)])


async def regenerate_lesson(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    request = _request(value)
    request = request.model_copy(update={"variation": request.variation + 1})
    outcome = await deps.services.lesson_planner.prepare(request, number=deps.citations.source_number)
    if isinstance(outcome, NoUnit):
        return CardOutcome(text=outcome.message)
    return CardOutcome(text=f"Here's another version (variation {request.variation}).",
                       cards=[lesson_plan_card(outcome)])


async def adjust_lesson(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    plan = relabel(validate_plan(value.get("plan")), deps.citations.source_number)
    request = _request(value, fallback=plan)
    raw = value.get(DURATION_INPUT)
    try:
        minutes = int(float(str(raw).strip()))
        if not MIN_MINUTES <= minutes <= MAX_MINUTES or float(str(raw).strip()) != minutes:
            raise ValueError
    except ValueError:
        error = f"Give a whole number of minutes from {MIN_MINUTES} to {MAX_MINUTES}."
        same = LessonPlanResult(key=deps.services.lessons.new_key(), plan=plan, request=request, error=error)
        return CardOutcome(text="Please fix the duration; nothing was changed.", cards=[lesson_plan_card(same)])
    adjusted = rebalance(plan, minutes)
    result = LessonPlanResult(key=deps.services.lessons.new_key(), plan=adjusted,
                              request=request.model_copy(update={"duration_minutes": minutes}))
    return CardOutcome(text=f"Re-balanced to {minutes} minutes: {_minutes(result)}.", cards=[lesson_plan_card(result)])


async def open_lesson(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    raw = str(value.get("plan_id") or value.get("id") or "").strip().lstrip("#")
    if not raw.isdigit():
        return CardOutcome(text="Which lesson plan? Give its number, e.g. 12.")
    saved = await deps.services.lessons.get(deps.actor, int(raw), via=VIA)
    plan = relabel(saved.plan, deps.citations.source_number)
    result = LessonPlanResult(key=deps.services.lessons.new_key(), plan=plan, request=_request_of(plan),
                              saved_id=saved.id)
    return CardOutcome(text=f"Lesson plan #{saved.id}: {saved.title}.", cards=[lesson_plan_card(result)])


def _request(value: dict[str, Any], *, fallback: Any = None) -> LessonRequest:
    raw = value.get("request")
    if isinstance(raw, dict):
        try:
            return LessonRequest.model_validate(raw)
        except ValueError:
            pass
    if fallback is not None:
        return _request_of(fallback)
    raise InvalidInput(EXPIRED)


def _request_of(plan: Any) -> LessonRequest:
    return LessonRequest(grade=plan.grade, topic=plan.topic, duration_minutes=plan.duration_minutes,
                         equipment=plan.available_equipment, class_size=plan.class_size, focus=plan.focus,
                         variation=plan.variation)


def _form_again(values: dict[str, str], errors: dict[str, str]) -> CardOutcome:
    state = LessonFormState(values=values, errors=errors)
    return CardOutcome(text="Please fix the fields marked on the form; nothing was saved.",
                       cards=[lesson_form_card(state)])


def _minutes(result: LessonPlanResult) -> str:
    p = result.plan
    return (f"warm-up {p.warm_up.minutes}, skill development {p.skill_development.minutes}, game "
            f"{p.game_or_application.minutes}, cool-down {p.cool_down.minutes}")


def _shown(result: LessonPlanResult) -> str:
    return f"Here's your plan: {result.plan.title}. {_minutes(result).capitalize()} minutes. Press Save to keep it."
