"""Shared alert types: what a card shows (``AlertView``), where it goes (``Target``), and the sender contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

Clock = Callable[[], datetime]

KIND_ALERT = "alert"  # the alert card, to each admin and the nurse
KIND_ESCALATION = "escalation"  # the alert card again, marked escalated, to the next person on the escalation list
KIND_REPORTER = "reporter"  # a short notice to the reporting teacher that the alert was escalated
CARD_KINDS = (KIND_ALERT, KIND_ESCALATION)


def utc_now() -> datetime:
    return datetime.now(UTC)


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


@dataclass(frozen=True, slots=True)
class Target:
    """Where one delivery goes. ``reference`` is None when the recipient has no stored 1:1 conversation yet."""

    staff_id: int
    display_name: str
    tenant_id: str
    aad_object_id: str
    reference: dict[str, Any] | None
    service_url: str | None = None  # for creating a conversation: the tenant's service URL (from any reference)
    bot_id: str | None = None
    role: str | None = None  # the recipient's staff role: an admin's alert card can start an emergency

    @property
    def conversation_id(self) -> str | None:
        conversation = (self.reference or {}).get("conversation") or {}
        return str(conversation.get("id")) if conversation.get("id") else None


@dataclass(frozen=True, slots=True)
class Sent:
    activity_id: str
    conversation_id: str
    new_reference: dict[str, Any] | None = None  # set when the sender created the conversation


class DeliveryError(Exception):
    """A send failed. ``retryable`` errors are retried with backoff; the others are recorded as permanent."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None, code: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.code = code
        self.retry_after = retry_after


class Sender(Protocol):
    async def send(self, target: Target, view: AlertView) -> Sent: ...

    async def update(self, target: Target, activity_id: str, view: AlertView) -> None: ...


class Journal(Protocol):
    """A fast record of "the connector accepted delivery N as activity A", written before the database mark."""

    async def record(self, delivery_id: int, activity_id: str, conversation_id: str) -> None: ...

    async def lookup(self, delivery_id: int) -> tuple[str, str] | None: ...


class Waker(Protocol):
    def poke(self) -> None: ...


@dataclass(slots=True)
class NullWaker:
    pokes: int = field(default=0)

    def poke(self) -> None:
        self.pokes += 1
