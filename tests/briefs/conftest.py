"""Brief fixtures: the demo district with the knowledge corpus (for the protocol citation), a rate-limited fake
connector, and a fixed clock — Friday 20 Nov 2026, 09:40 in the district's time zone, ten minutes before period 3."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from devtools.fakes.rate_limited_connector import RateLimitedConnector
from tests.support.alerts import FakeClock
from tests.support.briefs import BEFORE_PERIOD_3, Briefs


@pytest.fixture
async def connector() -> AsyncIterator[RateLimitedConnector]:
    fake = await RateLimitedConnector().start()
    yield fake
    await fake.close()


@pytest.fixture
async def full_sessions(full_db_url: str) -> AsyncIterator[Any]:
    from domain.db import make_engine, make_sessionmaker

    engine = make_engine(full_db_url, pool_size=6)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def briefs(full_sessions: Any, connector: RateLimitedConnector) -> Briefs:
    return Briefs(full_sessions, connector, FakeClock(BEFORE_PERIOD_3))
