"""Calendar fixtures: the demo district on real Postgres, the fake Microsoft identity platform + Graph over TLS,
and event services in local and Outlook mode wired the way the app wires them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from devtools.fakes.graph import FakeMicrosoft
from domain.actor import Actor
from domain.calendar.graph import GraphCalendar
from domain.calendar.links import IcsLinks
from domain.events import EventService
from domain.identity import IdentityService
from tests.support.app_client import bot, connector  # noqa: F401 - the running app, for test_app_calendar
from tests.support.calendar import SECRET, Clock, graph_config


@pytest.fixture
async def alex(demo_sessions: Any) -> Actor:
    actor = await IdentityService(demo_sessions).by_email("alexw@example.com")
    assert actor is not None
    return actor


@pytest.fixture
async def isaiah(demo_sessions: Any) -> Actor:
    actor = await IdentityService(demo_sessions).by_email("isaiahl@example.com")
    assert actor is not None
    return actor


@pytest.fixture
def link_clock() -> Clock:
    return Clock()


@pytest.fixture
def local_events(demo_sessions: Any, link_clock: Clock) -> EventService:
    links = IcsLinks(SECRET, timedelta(hours=72), clock=link_clock)
    return EventService(demo_sessions, links=links, public_base_url="https://faraday.test")


@pytest.fixture
async def microsoft(tmp_path: Path, alex: Actor, isaiah: Actor) -> AsyncIterator[FakeMicrosoft]:
    fake = await FakeMicrosoft(tmp_path, mailboxes={alex.aad_object_id}).start()
    yield fake
    await fake.close()


@pytest.fixture
async def outlook_events(demo_sessions: Any, microsoft: FakeMicrosoft) -> AsyncIterator[EventService]:
    service = EventService(demo_sessions, outlook=GraphCalendar(graph_config(microsoft)))
    yield service
    await service.close()


