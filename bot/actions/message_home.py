"""Message-home card actions: Send (a class notice first shows its count to confirm; a second press sends nothing
more) and Discard. The message, its recipients and the rules are the service's; the card carries only its key,
the health tick and the confirmed count."""

from __future__ import annotations

from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, text
from bot.cards.message_home import confirm_card, sent_card
from domain.errors import InvalidInput, NotAllowed
from tools.base import MessagesHomeAccess, ToolDeps

VIA = "card:message_home"


async def send_message(value: dict[str, Any], deps: ToolDeps[MessagesHomeAccess]) -> CardOutcome:
    service = deps.services.messages_home
    if service is None:
        return CardOutcome(text="Messages home are not available on this Faraday.")
    key = _key(value)
    confirmed = value.get("confirmed")
    count = int(confirmed) if isinstance(confirmed, int | str) and str(confirmed).isdigit() else None
    include_health = str(value.get("include_health") or "").lower() == "true"
    try:
        outcome = await service.send(deps.actor, key, include_health=include_health, confirmed=count, via=VIA)
    except (InvalidInput, NotAllowed) as exc:
        return CardOutcome(text=str(exc), cards=[card([text(str(exc))])])
    if outcome.status == "confirm":
        return CardOutcome(text=outcome.sentence, cards=[confirm_card(key, outcome)])
    return CardOutcome(text=outcome.sentence, cards=[sent_card(outcome)])


async def cancel_message(value: dict[str, Any], deps: ToolDeps[MessagesHomeAccess]) -> CardOutcome:
    service = deps.services.messages_home
    if service is not None:
        await service.cancel(deps.actor, _key(value))
    return CardOutcome(text="Discarded: nothing was sent.",
                       cards=[card([text("Message discarded. Nothing was sent.")])])


def _key(value: dict[str, Any]) -> str:
    """The draft's key: ``form_key`` (the Agents Playground cannot submit a card whose data has a field named
    ``key``), or ``key`` from cards posted before the rename."""
    return str(value.get("form_key") or value.get("key") or "")
