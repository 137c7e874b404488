from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools.fakes.activities import TENANT
from devtools.fakes.connector import FakeConnector
from domain.actor import Actor
from domain.exports import ExportLinks, ExportPending, ExportReady, ExportService
from domain.identity import IdentityService
from domain.widgets import WidgetService
from tests.support.app_client import (  # noqa: F401 - the fake Bot Connector, app sessions
    BotClient,
    bot_settings,
    connector,
    demo_sessions_for,
    serving,
)

SECRET = b"exports-test-link-secret-0123456789"
TZ = ZoneInfo("America/Chicago")
NOW = datetime.combine(date(2026, 11, 20), time(15), TZ)


class Clock:
    """The links' clock, moved by tests (expiry) without waiting."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def _app_clock(tz: str) -> datetime:
    return datetime.combine(date(2026, 11, 20), time(15), ZoneInfo(tz))


@pytest.fixture
async def app(demo_db_url: str, redis_url: str,
              connector: FakeConnector) -> AsyncIterator[BotClient]:  # noqa: F811
    """The running app (fake Bot Connector, offline planner) on the demo district, its clock on Nov 20, 2026."""
    settings = bot_settings(demo_db_url, redis_url, rate_limit_per_minute=1000, rate_limit_per_hour=10000)
    async with serving(settings, connector, clock=_app_clock) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def exports(demo_sessions: Any, clock: Clock) -> ExportService:
    links = ExportLinks(SECRET, timedelta(hours=24), "http://127.0.0.1:3978", clock=clock)
    return ExportService(demo_sessions, WidgetService(demo_sessions), links)


@pytest.fixture
def actor_of(demo_sessions: Any) -> Callable[[str], Any]:
    async def resolve(aad: str) -> Actor:
        actor = await IdentityService(demo_sessions).resolve(TENANT, aad)
        assert actor is not None
        return actor

    return resolve


async def confirmed(make: Callable[..., Awaitable[ExportReady | ExportPending]], *args: Any, **kwargs: Any) -> ExportReady:
    """The export, its count confirmed first when it is a large one (as the user's press on the card does)."""
    ready = await make(*args, **kwargs)
    if isinstance(ready, ExportPending):
        ready = await make(*args, **kwargs, confirmed=ready.student_count)
    assert isinstance(ready, ExportReady)
    return ready
