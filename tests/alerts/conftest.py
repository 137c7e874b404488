"""Alerts conftest: the fake connector, the demo-district world and its subscribed recipients (helpers in
tests/support/alerts.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.fakes.rate_limited_connector import RateLimitedConnector
from tests.support.alerts import FakeClock, World


@pytest.fixture
async def connector() -> AsyncIterator[RateLimitedConnector]:
    fake = await RateLimitedConnector().start()
    yield fake
    await fake.close()


@pytest.fixture
async def world(demo_sessions: async_sessionmaker[AsyncSession], connector: RateLimitedConnector) -> World:
    return World(demo_sessions, connector, FakeClock())


@pytest.fixture
async def subscribed(world: World) -> World:
    """Every recipient at Ridgeview Middle has a stored 1:1 conversation."""
    for email in await world.recipients():
        await world.remember(email)
    return world


