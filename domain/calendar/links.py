"""Unguessable, expiring links to an event's .ics file, bound to the event and its organiser.

A token is ``{event_id}.{organizer_id}.{expires}.{nonce}.{mac}``: the nonce comes from ``secrets.token_urlsafe`` and
the HMAC-SHA256 (key from Settings) covers everything before it. No table is needed, every replica can check a
token, and rotating the secret revokes every link. Tampering with any part, or time passing, gives ``None``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TOKEN = re.compile(r"^(\d{1,18})\.(\d{1,18})\.(\d{1,12})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class LinkTarget:
    event_id: int
    organizer_id: int


class IcsLinks:
    def __init__(self, secret: bytes, ttl: timedelta, clock: Callable[[], datetime] | None = None) -> None:
        if len(secret) < 16:
            raise ValueError("the .ics link secret must be at least 16 bytes")
        self._secret = secret
        self._ttl = ttl
        self._clock = clock or (lambda: datetime.now(UTC))

    def issue(self, event_id: int, organizer_id: int) -> str:
        expires = int((self._clock() + self._ttl).timestamp())
        payload = f"{event_id}.{organizer_id}.{expires}.{secrets.token_urlsafe(16)}"
        return f"{payload}.{self._mac(payload)}"

    def verify(self, token: str) -> LinkTarget | None:
        match = TOKEN.match(token or "")
        if match is None:
            return None
        event_id, organizer_id, expires, _nonce, mac = match.groups()
        payload = token.rsplit(".", 1)[0]
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        if self._clock().timestamp() >= int(expires):
            return None
        return LinkTarget(int(event_id), int(organizer_id))

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
