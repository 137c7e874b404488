"""The ``NoticeSender`` the equipment notice relay uses: the notice card through the alerts' ``BotSender`` (same
adapter, same rate limiter, same error classification)."""

from __future__ import annotations

from bot.cards.equipment_notice import equipment_notice_card, summary
from bot.channel.proactive import BotSender
from domain.alerts.types import Sent, Target
from domain.records.notices import EquipmentNoticeView


class EquipmentNoticeSender:
    def __init__(self, sender: BotSender) -> None:
        self._sender = sender

    async def send(self, target: Target, view: EquipmentNoticeView) -> Sent:
        return await self._sender.send_card(target, equipment_notice_card(view), summary(view))
