"""Domain errors. Each edge translates them: tools into model-readable messages, the bot into Teams replies."""

from __future__ import annotations


class DomainError(Exception):
    """Base class. ``str(error)`` is a short sentence safe to show a user or a model (no PII beyond the request)."""


class NotAllowed(DomainError):
    """The caller may not do this (the attempt is audited where it concerns a record)."""


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}
