"""Alert card actions: ``alert.ack`` (Acknowledge; the first press wins) and ``alert.refresh`` (universal actions
refresh: the card's current state for whoever is looking at it)."""

from __future__ import annotations

from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.alert import TIME, alert_card
from domain.alerts.service import AlertService
from domain.errors import InvalidInput
from tools.base import AlertsAccess, ToolDeps

VIA = "card:alert"


async def acknowledge_alert(value: dict[str, Any], deps: ToolDeps[AlertsAccess]) -> CardOutcome:
    alerts, alert_id = _service(deps), _alert_id(value)
    result = await alerts.acknowledge(deps.actor, alert_id, via=VIA)
    view = await alerts.view(deps.actor, alert_id, via=VIA)
    if result.won:
        sentence = "Acknowledged — everyone who received this alert now sees that you have it."
    else:
        at = view.acknowledged_at.strftime(TIME) if view.acknowledged_at else "earlier"
        sentence = f"{result.by} had already acknowledged this alert at {at}."
    return CardOutcome(text=sentence, cards=[alert_card(view)])


async def refresh_alert(value: dict[str, Any], deps: ToolDeps[AlertsAccess]) -> CardOutcome:
    alerts, alert_id = _service(deps), _alert_id(value)
    return CardOutcome(cards=[alert_card(await alerts.view(deps.actor, alert_id, via=VIA))])


def _service(deps: ToolDeps[AlertsAccess]) -> AlertService:
    alerts = deps.services.alerts
    if alerts is None:
        raise InvalidInput("Safety alerts aren't set up on this Faraday yet.")
    return alerts


def _alert_id(value: dict[str, Any]) -> int:
    raw = str(value.get("alert_id", ""))
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput("That alert button is not valid any more.")
    return int(raw)
