"""Emergency card verbs. Each answer replaces the pressed card with the presser's own current view (a teacher their
class, an admin the roll-up); ``emergency.refresh`` is the universal-actions refresh. The service decides who may do
what; input from the card is untrusted and checked here only for shape."""

from __future__ import annotations

from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.emergency import emergency_card
from domain.emergencies.service import Answer, EmergencyService
from domain.errors import InvalidInput
from tools.base import ToolDeps

VIA = "card:emergency"
MAX_IDS = 200


async def all_here(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    service, emergency_id, class_id = _service(deps), _id(value, "emergency_id"), _id(value, "class_id")
    answer = await service.account(deps.actor, emergency_id, class_id, via=VIA)
    said = "Recorded: all here." if answer.changed else "Already recorded: all here."
    return await _outcome(service, deps, emergency_id, said)


async def report(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    service, emergency_id, class_id = _service(deps), _id(value, "emergency_id"), _id(value, "class_id")
    missing = _ids(value.get(f"missing_{class_id}"), "Missing")
    injured = _ids(value.get(f"injured_{class_id}"), "Injured")
    answer = await service.account(deps.actor, emergency_id, class_id, missing=missing, injured=injured, via=VIA)
    return await _outcome(service, deps, emergency_id, _said(answer, len(missing), len(injured)))


async def with_me(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    service, emergency_id, class_id = _service(deps), _id(value, "emergency_id"), _id(value, "class_id")
    picked = _ids(value.get(f"with_me_{class_id}"), "With me")
    if len(picked) != 1:
        raise InvalidInput("Pick the one student who is with you; nothing was recorded.")
    answer = await service.with_me(deps.actor, emergency_id, class_id, picked[0], via=VIA)
    said = "Recorded: that student is with you." if answer.changed else "Already recorded as with you."
    return await _outcome(service, deps, emergency_id, said)


async def found(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    service, emergency_id = _service(deps), _id(value, "emergency_id")
    answer = await service.found(deps.actor, emergency_id, _id(value, "student_id"), via=VIA)
    said = "Recorded: found." if answer.changed else "That student isn't marked missing (nothing changed)."
    return await _outcome(service, deps, emergency_id, said)


async def all_clear(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    service, emergency_id = _service(deps), _id(value, "emergency_id")
    closed = await service.all_clear(deps.actor, via=VIA)
    said = "All clear given: every card now shows it." if closed.closed_now else "This was already closed."
    return await _outcome(service, deps, emergency_id, said)


async def refresh(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    service, emergency_id = _service(deps), _id(value, "emergency_id")
    return CardOutcome(cards=[emergency_card(await service.view(deps.actor, emergency_id, via=VIA))])


async def _outcome(service: EmergencyService, deps: ToolDeps, emergency_id: int, said: str) -> CardOutcome:
    return CardOutcome(text=said, cards=[emergency_card(await service.view(deps.actor, emergency_id, via=VIA))])


def _said(answer: Answer, missing: int, injured: int) -> str:
    if not answer.changed:
        return "Already recorded (nothing changed)."
    if not missing and not injured:
        return "Recorded: all here."
    return f"Recorded: {missing} missing, {injured} injured. Your administrators see it now."


def _service(deps: ToolDeps) -> EmergencyService:
    service = getattr(deps.services, "emergencies", None)
    if not isinstance(service, EmergencyService):
        raise InvalidInput("Emergency accountability isn't set up on this Faraday yet.")
    return service


def _id(value: dict[str, Any], key: str) -> int:
    raw = str(value.get(key, ""))
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput("That emergency button is not valid any more.")
    return int(raw)


def _ids(raw: Any, label: str) -> list[int]:
    """A multi-select's value: "12,15" (Teams sends a comma-separated string); empty means nobody."""
    if raw is None or raw == "":
        return []
    parts = [p.strip() for p in str(raw).split(",") if p.strip()]
    if len(parts) > MAX_IDS or not all(p.isdigit() and len(p) <= 18 for p in parts):
        raise InvalidInput(f"The {label} list on the card isn't valid; nothing was recorded.")
    return sorted({int(p) for p in parts})
