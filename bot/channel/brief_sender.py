"""The ``BriefSender`` the brief relay uses: the brief card through the alerts' ``BotSender`` (same adapter, rate
limiter and error classification). ``BotSender.send_card`` uses the stored 1:1 reference or opens a 1:1 chat: a brief
never goes to a group chat or channel."""

from __future__ import annotations

from bot.cards.brief import brief_card, summary
from bot.channel.proactive import BotSender
from domain.alerts.types import Sent, Target
from domain.briefs.types import Brief


class BriefCardSender:
    def __init__(self, sender: BotSender) -> None:
        self._sender = sender

    async def send(self, target: Target, brief: Brief) -> Sent:
        return await self._sender.send_card(target, brief_card(brief), summary(brief))
