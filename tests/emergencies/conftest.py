"""Emergency fixtures: the demo district with three period-3 teachers and two admins (tests/support/emergencies.py),
a rate-limited fake connector, stored 1:1 chats."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.seed.facts import DEMO
from tests.support.alerts import FakeClock
from tests.support.emergencies import ADMINS, FRIDAY_AFTERNOON, NADIA, TEACHERS, School, add_period_3_class


@pytest.fixture
async def connector() -> AsyncIterator[RateLimitedConnector]:
    fake = await RateLimitedConnector().start()
    yield fake
    await fake.close()


@pytest.fixture
async def school(demo_sessions: async_sessionmaker[AsyncSession], connector: RateLimitedConnector) -> School:
    world = School(demo_sessions, connector, FakeClock(FRIDAY_AFTERNOON))
    classes = {
        DEMO.isaiah.email: await add_period_3_class(demo_sessions, DEMO.isaiah.email),
        NADIA: await add_period_3_class(demo_sessions, NADIA),
    }
    async with demo_sessions() as s:
        classes[DEMO.alex.email] = (await s.execute(text(
            "SELECT c.id FROM classes c JOIN staff t ON t.id = c.teacher_id WHERE t.email = :e AND c.period = '3'"),
            {"e": DEMO.alex.email})).scalar_one()
    world.classes = classes
    return world


@pytest.fixture
async def subscribed(school: School) -> School:
    """The three teachers and the two admins have a stored 1:1 chat with Faraday."""
    for email in TEACHERS + ADMINS:
        await school.remember(email)
    return school
