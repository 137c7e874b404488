"""What the event service hands out: form choices, proposals (unsaved) and saved events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from domain.calendar.backend import Busy


@dataclass(frozen=True, slots=True)
class EventChoices:
    """What the event form offers: staff to invite and the caller's classes, as (id, name)."""

    staff: list[tuple[int, str]]
    classes: list[tuple[int, str]]


@dataclass(frozen=True, slots=True)
class EventProposal:
    """An unsaved event shown on an editable card; ``key`` makes its Save idempotent."""

    key: str
    title: str
    start: datetime  # aware, in the school's zone
    duration_minutes: int
    time_zone: str
    location: str
    choices: EventChoices
    staff_ids: list[int] = field(default_factory=list)
    class_id: int | None = None
    families: list[tuple[int, str]] = field(default_factory=list)  # (student id, "Jamie Lee (2 guardians)"), unticked
    conflicts: list[Busy] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. DST ambiguity, unknown attendees, conflict check failed
    mode: Literal["outlook", "local"] = "local"


@dataclass(frozen=True, slots=True)
class SavedEvent:
    id: int
    created: bool  # False when the idempotency key had already been used
    title: str
    start: datetime
    end: datetime
    time_zone: str
    location: str | None
    attendees: list[str]  # e-mails
    status: str
    mode: Literal["outlook", "local"]
    ics_url: str | None = None
