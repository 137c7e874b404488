"""What every outbox relay shares: where a delivery goes (``Target``), what the connector answered (``Sent``), how a
send fails (``DeliveryError``), the send journal's contract, and the retry policy (``RelayConfig``, ``backoff``)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

Clock = Callable[[], datetime]
Fault = Callable[[str], None]  # fault injection for crash tests: called with "after_claim", "after_send", ...


def utc_now() -> datetime:
    return datetime.now(UTC)


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


class Journal(Protocol):
    """A fast record of "the connector accepted delivery N as activity A", written before the database mark."""

    async def record(self, delivery_id: int, activity_id: str, conversation_id: str) -> None: ...

    async def lookup(self, delivery_id: int) -> tuple[str, str] | None: ...


@dataclass(frozen=True, slots=True)
class RelayConfig:
    batch: int = 50
    concurrency: int = 16
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 300.0


DEFAULT_CONFIG = RelayConfig()


def backoff(attempts: int, retry_after: float | None, config: RelayConfig, rng: random.Random) -> float:
    """Exponential backoff with jitter (50–100 % of the step), never sooner than the server's Retry-After."""
    step = min(config.backoff_cap_s, config.backoff_base_s * 2.0 ** max(0, attempts - 1))
    return max(retry_after or 0.0, step * rng.uniform(0.5, 1.0))
