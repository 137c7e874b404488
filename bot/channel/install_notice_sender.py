"""The ``InstallNoticeSender`` the Teams install notice relay uses: the per-person report card through the alerts'
``BotSender`` (same adapter, rate limiter and error classification; the admin's 1:1 chat)."""

from __future__ import annotations

from bot.cards.teams_install import report_card, report_preview
from bot.channel.proactive import BotSender
from domain.outbox import Sent, Target
from domain.teams_install import InstallReport


class InstallNoticeCardSender:
    def __init__(self, sender: BotSender) -> None:
        self._sender = sender

    async def send(self, target: Target, report: InstallReport) -> Sent:
        return await self._sender.send_card(target, report_card(report), report_preview(report))
