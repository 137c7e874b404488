from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools.fakes.activities import TENANT
from domain.actor import Actor
from domain.exports import ExportLinks, ExportService
from domain.identity import IdentityService
from domain.widgets import WidgetService
from tests.support.app_client import connector, demo_sessions_for  # noqa: F401 - the fake Bot Connector, app sessions

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
