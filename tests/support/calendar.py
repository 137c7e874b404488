"""Calendar test helpers: the Chicago test clock, Graph settings for the fake Microsoft endpoints, tool deps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from devtools.fakes.graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeMicrosoft
from domain.actor import Actor
from domain.calendar.graph import GraphConfig
from domain.calendar.proposals import EventProposer
from domain.events import EventService
from domain.incidents import IncidentService
from domain.students import StudentService
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


def graph_config(fake: FakeMicrosoft, **overrides: Any) -> GraphConfig:
    values: dict[str, Any] = {
        "tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "authority_host": fake.url,
        "base_url": f"{fake.url}/v1.0", "ca_file": str(fake.ca_file), "timeout_s": 2.0, "retry_budget_s": 1.5,
    }
    values.update(overrides)
    return GraphConfig(**values)


@dataclass(frozen=True)
class CalendarServices:
    """What ``schedule_event`` reads (``tools.base.EventProposalsAccess``) and the services the calendar tests check."""

    students: StudentService
    incidents: IncidentService
    events: EventService
    event_proposals: EventProposer


def deps_for(actor: Actor, sessions: Any, events: EventService, now: datetime = NOW) -> ToolDeps[CalendarServices]:
    students = StudentService(sessions)
    services = CalendarServices(students=students, incidents=IncidentService(sessions), events=events,
                                event_proposals=EventProposer(events, students))
    return ToolDeps(actor=actor, services=services, now=now)
