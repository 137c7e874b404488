"""The ``CardSender`` the emergency relay uses: emergency cards through the alerts' ``BotSender`` (same adapter,
same rate limiter, same error classification)."""

from __future__ import annotations

from bot.cards.emergency import emergency_card, summary
from bot.channel.proactive import BotSender
from domain.alerts.types import Sent, Target
from domain.emergencies.types import EmergencyView


class EmergencyCardSender:
    def __init__(self, sender: BotSender) -> None:
        self._sender = sender

    async def send(self, target: Target, view: EmergencyView) -> Sent:
        return await self._sender.send_card(target, emergency_card(view), summary(view))

    async def update(self, target: Target, activity_id: str, view: EmergencyView) -> None:
        await self._sender.update_card(target, activity_id, emergency_card(view))
