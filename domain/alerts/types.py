"""Shared alert types: what a card shows (``AlertView``), where it goes (``Target``), and the sender contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from domain.outbox.types import Clock as Clock  # the outbox's shared types, re-exported for the alert modules
from domain.outbox.types import DeliveryError as DeliveryError
from domain.outbox.types import Journal as Journal
from domain.outbox.types import Sent as Sent
from domain.outbox.types import Target as Target
from domain.outbox.types import utc_now as utc_now

KIND_ALERT = "alert"  # the alert card, to each admin and the nurse
KIND_ESCALATION = "escalation"  # the alert card again, marked escalated, to the next person on the escalation list
KIND_REPORTER = "reporter"  # a short notice to the reporting teacher that the alert was escalated
CARD_KINDS = (KIND_ALERT, KIND_ESCALATION)


@dataclass(frozen=True, slots=True)
class Failure:
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class AlertView:
    """Everything an alert card shows: only fields a school's admin or nurse may see, nothing the card must hide."""

    alert_id: int
    incident_id: int
    kind: str
    level: int
    reason: str
    severity: str
    incident_type: str
    occurred_at: datetime  # in the school's time zone
    location: str
    activity: str
    description: str
    injuries: str | None
    action_taken: str | None
    student_name: str | None
    student_grade: int | None
    student_number: str | None
    medical_flags: tuple[str, ...]
    reporter_name: str
    school_name: str
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None  # in the school's time zone
    escalated_to: tuple[str, ...] = ()
    failures: tuple[Failure, ...] = ()
    refresh_user_ids: tuple[str, ...] = ()  # Teams user ids of the recipients (universal actions refresh)

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class Sender(Protocol):
    async def send(self, target: Target, view: AlertView) -> Sent: ...

    async def update(self, target: Target, activity_id: str, view: AlertView) -> None: ...


class Waker(Protocol):
    def poke(self) -> None: ...


@dataclass(slots=True)
class NullWaker:
    pokes: int = field(default=0)

    def poke(self) -> None:
        self.pokes += 1
