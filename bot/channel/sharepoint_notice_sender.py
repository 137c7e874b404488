"""The ``SyncNoticeSender`` the SharePoint notice relay uses: the result card through the alerts' ``BotSender`` (same
adapter, rate limiter and error classification; the admin's 1:1 chat, opened when none is stored)."""

from __future__ import annotations

from bot.cards.sharepoint import sync_notice_card, sync_notice_preview
from bot.channel.proactive import BotSender
from domain.alerts.types import Sent, Target
from knowledge.sharepoint_jobs import SyncNotice


class SyncNoticeCardSender:
    def __init__(self, sender: BotSender) -> None:
        self._sender = sender

    async def send(self, target: Target, notice: SyncNotice) -> Sent:
        return await self._sender.send_card(target, sync_notice_card(notice), sync_notice_preview(notice))
