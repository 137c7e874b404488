"""Signed, expiring links to an export file, bound to the member of staff it was made for.

The .ics links' scheme (``domain/calendar/links.py``) with its own key derived from the same secret
(``ICS_LINK_SECRET``), so a calendar or document token can never open an export: ``x{export}.{staff}.{expires}.
{nonce}.{mac}``. No table is needed to check one, every replica can, and rotating the secret revokes every link. The
file itself must also still be there (deleted when the link expires) and belong to that staff member; a file-consent
upload additionally needs the Teams user pressing *Allow* to be that staff member.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.signed_tokens import SignedTokens

PATH = "/exports/"


@dataclass(frozen=True, slots=True)
class ExportTarget:
    export_id: int
    staff_id: int
    expires_at: datetime


class ExportLinks:
    def __init__(self, secret: bytes, ttl: timedelta, base_url: str,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._tokens = SignedTokens(secret, prefix="x", purpose=b"faraday export links", nonce_bytes=12, clock=clock)
        self.ttl = ttl
        self._base = base_url.rstrip("/")

    def now(self) -> datetime:
        return self._tokens.now()

    def issue(self, export_id: int, staff_id: int, expires_at: datetime) -> str:
        return self._tokens.issue(export_id, staff_id, expires_at=expires_at)

    def url(self, token: str) -> str:
        return f"{self._base}{PATH}{token}"

    def verify(self, token: str) -> ExportTarget | None:
        """The export and staff member of a genuine, unexpired token, else None."""
        signed = self._tokens.verify(token)
        return ExportTarget(signed.subject, signed.holder, signed.expires_at) if signed is not None else None
