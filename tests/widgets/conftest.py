from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domain.db import make_engine, make_sessionmaker
from domain.widgets import WidgetService
from tests.support.app_client import (  # noqa: F401 - the fake Bot Connector and scripted model for app-level tests
    connector,
    model,
)
from tests.support.district import District_, build


@pytest.fixture
async def district(empty_db_url: str) -> AsyncIterator[District_]:
    engine = make_engine(empty_db_url, pool_size=2)
    yield await build(make_sessionmaker(engine))
    await engine.dispose()


@pytest.fixture
def widgets(district: District_) -> WidgetService:
    return WidgetService(district.sessions)
