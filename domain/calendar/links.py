"""Unguessable, expiring links to an event's .ics file, bound to the event and its organiser.

A token is ``{event_id}.{organizer_id}.{expires}.{nonce}.{mac}``: the nonce comes from ``secrets.token_urlsafe`` and
the HMAC-SHA256 (key from Settings) covers everything before it. No table is needed, every replica can check a
token, and rotating the secret revokes every link. Tampering with any part, or time passing, gives ``None``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.signed_tokens import SignedTokens


@dataclass(frozen=True, slots=True)
class LinkTarget:
    event_id: int
    organizer_id: int


class IcsLinks:
    def __init__(self, secret: bytes, ttl: timedelta, clock: Callable[[], datetime] | None = None) -> None:
        # no prefix and the secret itself as the key: the scheme the other links derive theirs from
        self._tokens = SignedTokens(secret, prefix="", purpose=None, nonce_bytes=16, clock=clock)
        self._ttl = ttl

    def issue(self, event_id: int, organizer_id: int) -> str:
        return self._tokens.issue(event_id, organizer_id, ttl=self._ttl)

    def verify(self, token: str) -> LinkTarget | None:
        signed = self._tokens.verify(token)
        return LinkTarget(signed.subject, signed.holder) if signed is not None else None
