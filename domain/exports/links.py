"""Signed, expiring links to an export file, bound to the member of staff it was made for.

The .ics links' scheme (``domain/calendar/links.py``) with its own key derived from the same secret
(``ICS_LINK_SECRET``), so a calendar or document token can never open an export: ``x{export}.{staff}.{expires}.
{nonce}.{mac}``. No table is needed to check one, every replica can, and rotating the secret revokes every link. The
file itself must also still be there (deleted when the link expires) and belong to that staff member; a file-consent
upload additionally needs the Teams user pressing *Allow* to be that staff member.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TOKEN = re.compile(r"^x(\d{1,18})\.(\d{1,18})\.(\d{1,12})\.([A-Za-z0-9_-]{12,32})\.([A-Za-z0-9_-]{43})$")
PATH = "/exports/"


@dataclass(frozen=True, slots=True)
class ExportTarget:
    export_id: int
    staff_id: int
    expires_at: datetime


class ExportLinks:
    def __init__(self, secret: bytes, ttl: timedelta, base_url: str,
                 clock: Callable[[], datetime] | None = None) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must be at least 16 bytes")
        self._key = hmac.new(secret, b"faraday export links", hashlib.sha256).digest()
        self.ttl = ttl
        self._base = base_url.rstrip("/")
        self._clock = clock or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self._clock()

    def issue(self, export_id: int, staff_id: int, expires_at: datetime) -> str:
        payload = f"x{export_id}.{staff_id}.{int(expires_at.timestamp())}.{secrets.token_urlsafe(12)}"
        return f"{payload}.{self._mac(payload)}"

    def url(self, token: str) -> str:
        return f"{self._base}{PATH}{token}"

    def verify(self, token: str) -> ExportTarget | None:
        """The export and staff member of a genuine, unexpired token, else None."""
        match = TOKEN.match(token or "")
        if match is None:
            return None
        payload = token.rsplit(".", 1)[0]
        if not hmac.compare_digest(match.group(5), self._mac(payload)):
            return None
        expires = int(match.group(3))
        if self._clock().timestamp() >= expires:
            return None
        return ExportTarget(int(match.group(1)), int(match.group(2)), datetime.fromtimestamp(expires, UTC))

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
