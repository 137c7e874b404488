"""Calendar fixtures: the demo district on real Postgres, the fake Microsoft identity platform + Graph over TLS,
and event services in local and Outlook mode wired the way the app wires them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.actor import Actor
from domain.calendar.graph import GraphCalendar, GraphConfig
from domain.calendar.links import IcsLinks
from domain.calendar.proposals import EventProposer
from domain.events import EventService
from domain.identity import IdentityService
from domain.incidents import IncidentService
from domain.students import StudentService
from tests.fakes.graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeMicrosoft
from tests.integration.conftest import bot, connector  # noqa: F401 - the running app, for test_app_calendar
from tools.base import ToolDeps

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHICAGO)  # a Tuesday
SECRET = b"test-secret-for-ics-links-0123456789"


class Clock:
    """A settable wall clock for link expiry."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


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


def graph_config(fake: FakeMicrosoft, **overrides: Any) -> GraphConfig:
    values: dict[str, Any] = {
        "tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "authority_host": fake.url,
        "base_url": f"{fake.url}/v1.0", "ca_file": str(fake.ca_file), "timeout_s": 2.0, "retry_budget_s": 1.5,
    }
    values.update(overrides)
    return GraphConfig(**values)


@pytest.fixture
async def outlook_events(demo_sessions: Any, microsoft: FakeMicrosoft) -> AsyncIterator[EventService]:
    service = EventService(demo_sessions, outlook=GraphCalendar(graph_config(microsoft)))
    yield service
    await service.close()


def deps_for(actor: Actor, sessions: Any, events: EventService, now: datetime = NOW) -> ToolDeps:
    """ToolDeps with an ``events`` service (duck-typed until Services gets its ``events`` field)."""
    students = StudentService(sessions)
    services = SimpleNamespace(students=students, incidents=IncidentService(sessions), events=events,
                               event_proposals=EventProposer(events, students))
    return ToolDeps(actor=actor, services=services, now=now)  # type: ignore[arg-type]
