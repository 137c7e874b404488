"""Alert card actions: ``alert.ack`` (Acknowledge; the first press wins), ``alert.refresh`` (universal actions
refresh: the card's current state for whoever is looking at it), and, for admins, ``alert.emergency`` (the
confirmation card) then ``alert.emergency.start`` (the same start as the ``emergency …`` command, audited with the
alert it came from)."""

from __future__ import annotations

from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.alert import TIME, alert_card, emergency_confirm_card
from bot.commands.emergency import start_emergency
from domain.actor import Actor
from domain.alerts.service import AlertService
from domain.alerts.types import AlertView
from domain.emergencies.service import EmergencyService
from domain.emergencies.types import KINDS
from domain.errors import InvalidInput
from domain.models import Role
from tools.base import AlertsAccess, ToolDeps

VIA = "card:alert"
NOT_CONFIRMED = "Nothing was started: press one of the Start buttons on the confirmation to start an emergency."


async def acknowledge_alert(value: dict[str, Any], deps: ToolDeps[AlertsAccess]) -> CardOutcome:
    alerts, alert_id = _service(deps), _alert_id(value)
    result = await alerts.acknowledge(deps.actor, alert_id, via=VIA)
    view = await alerts.view(deps.actor, alert_id, via=VIA)
    if result.won:
        sentence = "Acknowledged — everyone who received this alert now sees that you have it."
    else:
        at = view.acknowledged_at.strftime(TIME) if view.acknowledged_at else "earlier"
        sentence = f"{result.by} had already acknowledged this alert at {at}."
    return CardOutcome(text=sentence, cards=[_card(view, deps.actor)])


async def refresh_alert(value: dict[str, Any], deps: ToolDeps[AlertsAccess]) -> CardOutcome:
    alerts, alert_id = _service(deps), _alert_id(value)
    return CardOutcome(cards=[_card(await alerts.view(deps.actor, alert_id, via=VIA), deps.actor)])


async def confirm_emergency(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    """*Start evacuation / lockdown*: an admin gets the confirmation card; anyone else is refused (audited)."""
    alerts, emergencies, alert_id = _service(deps), _emergencies(deps), _alert_id(value)
    await emergencies.may_start(deps.actor, via=VIA)
    view = await alerts.view(deps.actor, alert_id, via=VIA)
    return CardOutcome(cards=[emergency_confirm_card(view)])


async def start_from_alert(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    """A confirmation's Start button: the command's start (admins only, one open emergency per school)."""
    alerts, emergencies, alert_id = _service(deps), _emergencies(deps), _alert_id(value)
    kind = str(value.get("kind", ""))
    if kind not in KINDS:
        raise InvalidInput("That emergency button is not valid any more; nothing was started.")
    if value.get("confirmed") != "yes":
        return CardOutcome(text=NOT_CONFIRMED)
    await emergencies.may_start(deps.actor, via=VIA)  # a teacher's or the nurse's forged press: refused, audited
    view = await alerts.view(deps.actor, alert_id, via=VIA)  # the alert exists at the presser's school
    said = await start_emergency(emergencies, deps.actor, kind, drill=False, period=None, via=VIA,
                                 reason=f"from alert {alert_id}")
    plain = said.replace("**", "")
    return CardOutcome(text=said, cards=[_card(view, deps.actor, notice=plain)])


def _card(view: AlertView, actor: Actor, notice: str | None = None) -> dict[str, Any]:
    return alert_card(view, can_start_emergency=actor.role is Role.admin, notice=notice)


def _service(deps: ToolDeps[AlertsAccess]) -> AlertService:
    alerts = deps.services.alerts
    if alerts is None:
        raise InvalidInput("Safety alerts aren't set up on this Faraday yet.")
    return alerts


def _emergencies(deps: ToolDeps) -> EmergencyService:
    emergencies = deps.services.emergencies
    if emergencies is None:
        raise InvalidInput("Emergency accountability isn't set up on this Faraday yet.")
    return emergencies


def _alert_id(value: dict[str, Any]) -> int:
    raw = str(value.get("alert_id", ""))
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput("That alert button is not valid any more.")
    return int(raw)
