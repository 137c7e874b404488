"""How a message leaves: as the teacher through Microsoft Graph (``sendMail``, or a draft in their Outlook), or, without
Graph, as an .eml file (RFC 5322, made with the ``email`` package) behind a signed, expiring link with a mailto: link.

Graph needs the application permission ``Mail.Send`` (sending and creating drafts as any mailbox), restricted by an
application access policy to staff mailboxes (README: Microsoft Graph). Tokens, addresses and bodies are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any
from urllib.parse import quote

import aiohttp

from domain.calendar.backend import CalendarUnavailable
from domain.calendar.graph import GraphConfig, TokenSource
from domain.errors import DomainError
from domain.signed_tokens import SignedTokens

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 502, 503, 504}
MAX_ATTEMPTS = 3
KEY_HEADER = "x-faraday-key"


class MailUnavailable(DomainError):
    """Outlook refused or failed; ``definite`` False when the message may have gone out (timeout, 5xx)."""

    def __init__(self, sentence: str, *, definite: bool = True) -> None:
        super().__init__(sentence)
        self.definite = definite


CONSENT = ("Faraday isn't allowed to send mail yet: an administrator must grant it the Mail.Send permission and "
           "include your mailbox in its application access policy.")
MAILBOX = "I couldn't find an Outlook mailbox for your account; ask IT to check your Exchange Online licence."
BUSY = "Outlook is busy right now (too many requests); please try again in a minute."
UNSURE = ("Outlook didn't confirm in time (error {status}); the message may have gone out. Check your Sent Items "
          "before sending it again.")


@dataclass(frozen=True, slots=True)
class Outgoing:
    key: str  # the message's key + recipient number: one header per e-mail, for tracing in the mailbox
    sender_name: str
    sender_email: str
    to_name: str
    to_email: str
    subject: str
    body: str
    language: str


def eml(message: Outgoing, now: datetime) -> bytes:
    """The e-mail as an RFC 5322 file the teacher opens in their mail app (UTF-8 body, encoded headers)."""
    mail = EmailMessage(policy=SMTP)
    mail["From"] = formataddr((message.sender_name, message.sender_email))
    mail["To"] = formataddr((message.to_name, message.to_email))
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=message.sender_email.rpartition("@")[2] or "faraday.invalid")
    mail["X-Unsent"] = "1"  # Outlook opens it as a draft to send, not as a received message
    mail[KEY_HEADER] = message.key
    mail.set_content(message.body, charset="utf-8")
    mail["Content-Language"] = message.language  # after set_content, which clears every Content-* header
    return mail.as_bytes()


def mailto(message: Outgoing) -> str:
    return (f"mailto:{quote(message.to_email, safe='@')}?subject={quote(message.subject, safe='')}"
            f"&body={quote(message.body, safe='')}")


def graph_message(message: Outgoing) -> dict[str, Any]:
    return {
        "subject": message.subject,
        "body": {"contentType": "Text", "content": message.body},
        "toRecipients": [{"emailAddress": {"address": message.to_email, "name": message.to_name}}],
        "internetMessageHeaders": [{"name": KEY_HEADER, "value": message.key}],
    }


class GraphMail:
    """``POST /users/{id}/sendMail`` (202, nothing returned) or ``POST /users/{id}/messages`` (a draft, its id)."""

    def __init__(self, config: GraphConfig, tokens: TokenSource | None = None) -> None:
        self._config = config
        self._tokens = tokens or TokenSource(config)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, mailbox: str, message: Outgoing) -> None:
        await self._call(f"/users/{mailbox}/sendMail", {"message": graph_message(message), "saveToSentItems": True})

    async def save_draft(self, mailbox: str, message: Outgoing) -> str:
        body = await self._call(f"/users/{mailbox}/messages", graph_message(message))
        return str(body.get("id") or "")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        waited = 0.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                token = await self._tokens.token()
            except CalendarUnavailable as exc:  # the shared sign-in: its sentence names no calendar
                raise MailUnavailable(str(exc)) from exc
            headers = {"Authorization": f"Bearer {token}", "client-request-id": str(uuid.uuid4())}
            try:
                async with self._http().post(self._config.base_url + path, json=payload, headers=headers) as response:
                    status = response.status
                    body = await response.json(content_type=None) if response.content_length not in (0, None) \
                        else None
                    retry_after = _seconds(response.headers.get("Retry-After"))
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.warning("graph mail call failed", extra={"error": type(exc).__name__})
                raise MailUnavailable(UNSURE.format(status="no answer"), definite=False) from exc
            if status < 300:
                return body if isinstance(body, dict) else {}
            log.warning("graph mail call refused", extra={"status": status, "code": _error_code(body)})
            if status in (429, 503) and attempt < MAX_ATTEMPTS:  # throttled: nothing was sent, waiting is safe
                pause = retry_after if retry_after is not None else 0.5 * attempt
                if waited + pause <= self._config.retry_budget_s:
                    waited += pause
                    await asyncio.sleep(pause)
                    continue
            raise _failure(status)
        raise AssertionError("unreachable")

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            ca = self._config.ca_file
            context: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca) if ca else True
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._config.timeout_s),
                                                  connector=aiohttp.TCPConnector(ssl=context))
        return self._session


def _failure(status: int) -> MailUnavailable:
    if status in (401, 403):
        return MailUnavailable(CONSENT)
    if status == 404:
        return MailUnavailable(MAILBOX)
    if status in (429, 503):
        return MailUnavailable(BUSY)
    if status >= 500:
        return MailUnavailable(UNSURE.format(status=status), definite=False)
    return MailUnavailable(f"Outlook refused the message (error {status}).")


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_code(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code")) if isinstance(error, dict) and error.get("code") else None


class MessageLinks:
    """Signed, expiring links to one recipient's .eml, bound to the sender (domain.signed_tokens, with a key of its
    own). Tampered, expired or unknown tokens give None."""

    def __init__(self, secret: bytes, ttl: timedelta, base_url: str,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._tokens = SignedTokens(secret, prefix="m", purpose=b"faraday message home links", nonce_bytes=9,
                                    clock=clock)
        self._ttl = ttl
        self._base = base_url.rstrip("/")

    def issue(self, recipient_id: int, sender_id: int) -> str:
        return self._tokens.issue(recipient_id, sender_id, ttl=self._ttl)

    def eml_url(self, token: str) -> str:
        return f"{self._base}/messages/{token}.eml"

    def mailto_url(self, token: str) -> str:
        return f"{self._base}/messages/{token}/mailto"

    def verify(self, token: str) -> tuple[int, int] | None:
        signed = self._tokens.verify(token)
        return (signed.subject, signed.holder) if signed is not None else None
