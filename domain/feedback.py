"""Thumbs up/down and comments on Faraday's answers (Teams feedback buttons)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.db import unit_of_work
from domain.errors import InvalidInput
from domain.models import MessageFeedback

REACTIONS = ("like", "dislike")
MAX_TEXT = 2000


class FeedbackService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(self, actor: Actor, activity_id: str, reaction: str, text: str | None) -> None:
        if reaction not in REACTIONS:
            raise InvalidInput("Feedback must be like or dislike.")
        if not activity_id or len(activity_id) > 200:
            raise InvalidInput("Feedback must name the message it is about.")
        async with unit_of_work(self._sessions) as session:
            session.add(
                MessageFeedback(
                    staff_id=actor.staff_id,
                    activity_id=activity_id,
                    reaction=reaction,
                    text=(text or "").strip()[:MAX_TEXT] or None,
                )
            )
