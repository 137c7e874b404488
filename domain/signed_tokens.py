"""Signed, expiring tokens for links that need no table: ``{prefix}{a}.{b}.{expires}.{nonce}.{mac}``.

``a`` and ``b`` are what the link opens and whom it is bound to (an event and its organiser, an export and its staff
member, …); the nonce comes from ``secrets.token_urlsafe``; the HMAC-SHA256 covers everything before it. Each kind of
link has its own prefix and its own key derived from the one secret (``ICS_LINK_SECRET``), so a token of one kind
never opens another; every replica can check a token, and rotating the secret revokes every link. Tampering with any
part, or time passing, gives ``None``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Signed:
    subject: int  # what the link opens
    holder: int  # whom it is bound to
    expires_at: datetime


class SignedTokens:
    def __init__(self, secret: bytes, *, prefix: str, purpose: bytes | None, nonce_bytes: int,
                 clock: Callable[[], datetime] | None = None) -> None:
        """``purpose`` derives this kind's key from the secret; ``None`` uses the secret itself (the .ics links,
        which predate the derived keys: their issued tokens stay valid)."""
        if len(secret) < 16:
            raise ValueError("the link secret must be at least 16 bytes")
        self._key = secret if purpose is None else hmac.new(secret, purpose, hashlib.sha256).digest()
        self._prefix = prefix
        self._nonce_bytes = nonce_bytes
        self._pattern = re.compile(
            rf"^{re.escape(prefix)}(\d{{1,18}})\.(\d{{1,18}})\.(\d{{1,12}})\.[A-Za-z0-9_-]{{8,64}}\.([A-Za-z0-9_-]{{43}})$")
        self._clock = clock or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self._clock()

    def issue(self, subject: int, holder: int, *, expires_at: datetime | None = None,
              ttl: timedelta | None = None) -> str:
        """A token for ``subject`` bound to ``holder``, valid until ``expires_at`` (or for ``ttl`` from now)."""
        if expires_at is None:
            if ttl is None:
                raise ValueError("a token needs expires_at or ttl")
            expires_at = self._clock() + ttl
        payload = f"{self._prefix}{subject}.{holder}.{int(expires_at.timestamp())}." \
                  f"{secrets.token_urlsafe(self._nonce_bytes)}"
        return f"{payload}.{self._mac(payload)}"

    def verify(self, token: str) -> Signed | None:
        """What a genuine, unexpired token opens and whom it is bound to, else None."""
        match = self._pattern.match(token or "")
        if match is None:
            return None
        subject, holder, expires, mac = match.groups()
        if not hmac.compare_digest(mac, self._mac(token.rsplit(".", 1)[0])):
            return None
        if self._clock().timestamp() >= int(expires):
            return None
        return Signed(int(subject), int(holder), datetime.fromtimestamp(int(expires), UTC))

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
