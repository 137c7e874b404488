"""The ``NurseSender`` the nurse relay uses: the nurse's card through the alerts' ``BotSender`` (same adapter, rate
limiter and error classification; the nurse's 1:1 chat, opened when none is stored)."""

from __future__ import annotations

from bot.cards.nurse import nurse_notice_card, nurse_preview
from bot.channel.proactive import BotSender
from domain.alerts.types import Sent, Target
from domain.nurse import NurseNotice


class NurseCardSender:
    def __init__(self, sender: BotSender) -> None:
        self._sender = sender

    async def send(self, target: Target, notice: NurseNotice) -> Sent:
        return await self._sender.send_card(target, nurse_notice_card(notice), nurse_preview(notice))
