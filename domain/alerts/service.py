"""``AlertService``: what the Teams edge calls — acknowledge, a card's current state, the digest, subscriptions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.alerts.acknowledge import Acknowledgement, acknowledge
from domain.alerts.digest import DigestLine, Subscription, alerts_today, set_alerts, subscription
from domain.alerts.types import AlertView, Clock, Waker, utc_now
from domain.alerts.views import alert_views
from domain.db import unit_of_work
from domain.errors import NotAllowed, NotFound
from domain.models import Alert, Role

ALERT_ROLES = (Role.admin, Role.nurse)


class AlertService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, clock: Clock = utc_now,
                 escalate_after: timedelta = timedelta(minutes=5), waker: Waker | None = None) -> None:
        self._sessions = sessions
        self._clock = clock
        self.escalate_after = escalate_after
        self._waker = waker

    @staticmethod
    def may_receive(actor: Actor) -> bool:
        return actor.role in ALERT_ROLES

    async def acknowledge(self, actor: Actor, alert_id: int, *, via: str) -> Acknowledgement:
        result = await acknowledge(self._sessions, actor, alert_id, self._clock(), via=via)
        if result.won and self._waker is not None:
            self._waker.poke()  # the relays update every recipient's card
        return result

    async def view(self, actor: Actor, alert_id: int, *, via: str) -> AlertView:
        """The alert's current state for a card refresh; only for admins and nurses of the alert's school."""
        if not self.may_receive(actor):
            raise NotAllowed("Safety alerts are for your school's administrators and nurse.")
        async with unit_of_work(self._sessions) as session:
            view = (await alert_views(session, [alert_id])).get(alert_id)
            school_id = await _school_of(session, alert_id)
            if view is None or school_id != actor.school_id:
                raise NotFound("That alert doesn't exist at your school.")
            await audit.record(session, actor, action="alert.read", subject_type="incident",
                               subject_ids=[view.incident_id], via=via, allowed=True)
            return view

    async def today(self, actor: Actor) -> list[DigestLine]:
        return await alerts_today(self._sessions, actor, self._clock())

    async def status(self, actor: Actor) -> Subscription:
        return await subscription(self._sessions, actor, self._clock())

    async def set_enabled(self, actor: Actor, on: bool) -> int:
        return await set_alerts(self._sessions, actor, on)


async def _school_of(session: AsyncSession, alert_id: int) -> int | None:
    return await session.scalar(select(Alert.school_id).where(Alert.id == alert_id))
