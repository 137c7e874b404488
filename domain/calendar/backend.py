"""What the event service needs from an external calendar (Outlook through Microsoft Graph), and the shapes it uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.errors import DomainError


class CalendarUnavailable(DomainError):
    """The external calendar refused or failed. ``str()`` is a sentence for the teacher; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Organizer:
    staff_id: int
    aad_object_id: str
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    """A confirmed event as an external calendar receives it (``start``/``end`` aware, in the school's zone)."""

    key: str  # our idempotency key, also stored on the external event
    title: str
    start: datetime
    end: datetime
    location: str | None
    description: str | None
    attendees: tuple[Attendee, ...]
    reminder_minutes: int


@dataclass(frozen=True, slots=True)
class Busy:
    """An existing event: shown as a conflict on a proposal, or in a today / this-week list."""

    title: str
    start: datetime
    end: datetime
    location: str | None = None
    event_id: int | None = None  # ours (calendar_events.id) when Faraday created it


class ExternalCalendar(Protocol):
    async def find_by_key(self, organizer: Organizer, key: str) -> str | None:
        """The external id of the event created earlier with this key, if any."""

    async def create(self, organizer: Organizer, event: OutgoingEvent) -> str:
        """Create (or find, on a retry) the event; returns its external id."""

    async def between(self, organizer: Organizer, start: datetime, end: datetime, tz: str) -> list[Busy]:
        """Events overlapping [start, end) in the organizer's calendar, times in ``tz``."""

    async def delete(self, organizer: Organizer, external_id: str) -> None:
        """Remove the event (already gone is fine)."""

    async def close(self) -> None: ...
