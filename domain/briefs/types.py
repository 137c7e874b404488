"""What a pre-class safety brief shows (``Brief``) and the sender contract the relay uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from domain.alerts.types import Sent, Target


@dataclass(frozen=True, slots=True)
class FlaggedStudent:
    name: str
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OpenIncident:
    student: str
    day: date
    incident_type: str
    severity: str
    status: str  # open | follow_up
    restriction: str | None  # a return-to-play restriction, when the incident carries one


@dataclass(frozen=True, slots=True)
class GearIssue:
    name: str
    issues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReadyProtocol:
    """The one protocol to have ready, why, and where it is in the district's documents."""

    key: str  # heat | return_to_play | anaphylaxis | asthma | diabetes | seizure | aquatics | climbing | cardiac
    reason: str
    title: str
    section: str
    version: str | None  # None: the document isn't in the knowledge base (named, not cited)
    chunk_id: str | None
    first_lines: str

    @property
    def citation(self) -> str:
        if self.version is None:
            return f"{self.title} (not in the knowledge base yet)"
        return f"{self.title}, §{self.section} (version {self.version})"


@dataclass(frozen=True, slots=True)
class Brief:
    brief_id: int
    class_id: int
    class_name: str
    location: str
    unit: str | None
    starts_at: datetime  # local (school time zone)
    students: int
    temperature_f: float | None
    flagged: tuple[FlaggedStudent, ...]
    incidents: tuple[OpenIncident, ...]
    equipment: tuple[GearIssue, ...]
    protocol: ReadyProtocol
    other_flags: int = 0  # flags not relevant to the unit (domain.briefs.relevance): counted, not shown


class BriefSender(Protocol):
    async def send(self, target: Target, brief: Brief) -> Sent: ...
