"""Outlook calendars through Microsoft Graph (application permission ``Calendars.ReadWrite``).

- Tokens: msal ``ConfidentialClientApplication`` (secret or certificate, ``instance_discovery=False``), built once per
  process on first use; msal's in-memory cache serves every later call until the token nears expiry. msal is
  blocking, so it always runs in a worker thread (``asyncio.to_thread``): the event loop never waits on it.
- Calls: aiohttp. 429 and 502/503/504 are retried only while Retry-After fits a small budget (the teacher is waiting).
- Idempotency: every event we create carries our key in a ``singleValueExtendedProperty`` and as ``transactionId``.
  Before creating we look the key up; after an ambiguous failure (timeout, 5xx) we look it up again instead of
  posting twice.
- Failures become ``CalendarUnavailable`` with one sentence for the teacher; tokens and bodies are never logged.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import msal
import requests

from domain.calendar.backend import Busy, CalendarUnavailable, Organizer, OutgoingEvent
from domain.calendar.times import wall_clock

log = logging.getLogger(__name__)

KEY_PROPERTY = "String {3c5e0a0e-7d1f-4c0b-9a53-4f6b2a1d9e21} Name FaradayKey"
RETRY_STATUSES = {429, 502, 503, 504}
MAX_ATTEMPTS = 3

CONSENT = ("Faraday isn't allowed to use Outlook calendars yet: an administrator must grant it the Calendars.ReadWrite "
           "permission and include your mailbox in its access policy.")
SIGN_IN = ("Faraday couldn't sign in to Microsoft 365 (its app credentials were refused); "
           "please tell your administrator.")
MAILBOX = "I couldn't find an Outlook mailbox for your account; ask IT to check your Exchange Online licence."
BUSY = "Outlook is busy right now (too many requests); please try again in a minute."
DOWN = "Outlook had a problem on its side (error {status}); please try again in a few minutes."
SILENT = "Outlook didn't answer in time; please try again in a few minutes."
NOTHING_ADDED = " Nothing was added to your calendar."


@dataclass(frozen=True, slots=True)
class GraphConfig:
    tenant_id: str
    client_id: str
    client_secret: str = ""
    certificate_path: str = ""  # PEM with the private key (and the certificate, for subject-name/issuer auth)
    certificate_thumbprint: str = ""
    authority_host: str = "https://login.microsoftonline.com"
    base_url: str = "https://graph.microsoft.com/v1.0"
    ca_file: str = ""  # extra CA bundle (tests, TLS-inspecting proxies); empty = system trust
    timeout_s: float = 8.0
    retry_budget_s: float = 6.0

    @property
    def scope(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}/.default"


class TokenSource:
    """One msal app per process; ``token()`` never blocks the loop."""

    def __init__(self, config: GraphConfig) -> None:
        self._config = config
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    async def token(self) -> str:
        return await asyncio.to_thread(self._acquire)

    def _acquire(self) -> str:
        with self._lock:
            try:
                if self._app is None:
                    self._app = self._build()
                result = self._app.acquire_token_for_client(scopes=[self._config.scope])
            except (ValueError, OSError) as exc:  # discovery failed, network down, unreadable certificate
                log.warning("graph token unavailable", extra={"error": type(exc).__name__})
                raise CalendarUnavailable(SIGN_IN) from exc
        token = result.get("access_token") if isinstance(result, dict) else None
        if not token:
            log.warning("graph token refused",
                        extra={"error": result.get("error") if isinstance(result, dict) else None})
            raise CalendarUnavailable(SIGN_IN)
        return str(token)

    def _build(self) -> msal.ConfidentialClientApplication:
        c = self._config
        credential: Any = c.client_secret
        if c.certificate_path:
            credential = {"private_key": Path(c.certificate_path).read_text(), "thumbprint": c.certificate_thumbprint}
        return msal.ConfidentialClientApplication(
            c.client_id,
            client_credential=credential,
            authority=f"{c.authority_host.rstrip('/')}/{c.tenant_id}",
            instance_discovery=False,
            http_client=_http_client(c),
        )


def _http_client(config: GraphConfig) -> requests.Session:
    """msal's HTTP client. A CA file is passed on every request: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE
    override a session-level ``verify`` (which is all msal's own ``verify=`` sets), so that would be ignored."""
    session = requests.Session()
    extra: dict[str, Any] = {"timeout": config.timeout_s}
    if config.ca_file:
        session.verify = extra["verify"] = config.ca_file
    session.request = functools.partial(session.request, **extra)  # type: ignore[method-assign]
    return session


class _Ambiguous(Exception):
    """The request may or may not have been processed (timeout, connection lost, 5xx)."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class GraphCalendar:
    def __init__(self, config: GraphConfig, tokens: TokenSource | None = None) -> None:
        self._config = config
        self._tokens = tokens or TokenSource(config)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def find_by_key(self, organizer: Organizer, key: str) -> str | None:
        query = f"singleValueExtendedProperties/Any(ep: ep/id eq '{KEY_PROPERTY}' and ep/value eq '{key}')"
        try:
            body = await self._call("GET", f"/users/{organizer.aad_object_id}/events",
                                    params={"$filter": query, "$select": "id", "$top": "1"})
        except _Ambiguous as exc:
            raise CalendarUnavailable(exc.sentence) from exc
        found = body.get("value") or []
        return str(found[0]["id"]) if found else None

    async def create(self, organizer: Organizer, event: OutgoingEvent) -> str:
        try:
            existing = await self.find_by_key(organizer, event.key)
            if existing:
                return existing
            body = await self._call("POST", f"/users/{organizer.aad_object_id}/events", json=_event_body(event),
                                    tz=event.start.tzinfo)
            return str(body["id"])
        except CalendarUnavailable as exc:
            raise CalendarUnavailable(str(exc) + NOTHING_ADDED) from exc
        except _Ambiguous as exc:  # it may exist now: look before telling the teacher it doesn't
            try:
                existing = await self.find_by_key(organizer, event.key)
            except CalendarUnavailable:
                existing = None
            if existing:
                return existing
            raise CalendarUnavailable(exc.sentence + NOTHING_ADDED) from exc

    async def between(self, organizer: Organizer, start: datetime, end: datetime, tz: str) -> list[Busy]:
        params = {
            "startDateTime": start.isoformat(), "endDateTime": end.isoformat(),
            "$select": "id,subject,start,end,location,isCancelled,showAs", "$orderby": "start/dateTime", "$top": "50",
        }
        try:
            body = await self._call("GET", f"/users/{organizer.aad_object_id}/calendarView", params=params,
                                    tz=ZoneInfo(tz))
        except _Ambiguous as exc:
            raise CalendarUnavailable(exc.sentence) from exc
        return [_busy(item, ZoneInfo(tz)) for item in body.get("value") or []
                if not item.get("isCancelled") and item.get("showAs") != "free"]

    async def delete(self, organizer: Organizer, external_id: str) -> None:
        try:
            await self._call("DELETE", f"/users/{organizer.aad_object_id}/events/{external_id}", gone_ok=True)
        except _Ambiguous as exc:
            raise CalendarUnavailable(exc.sentence + " The event was not cancelled.") from exc

    async def _call(self, method: str, path: str, *, params: dict[str, str] | None = None,
                    json: dict[str, Any] | None = None, tz: Any = None, gone_ok: bool = False) -> dict[str, Any]:
        waited = 0.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            headers = {"Authorization": f"Bearer {await self._tokens.token()}", "client-request-id": str(uuid.uuid4())}
            if isinstance(tz, ZoneInfo):
                headers["Prefer"] = f'outlook.timezone="{tz.key}"'
            try:
                async with self._http().request(method, self._config.base_url + path, params=params, json=json,
                                                headers=headers) as response:
                    status = response.status
                    body = await response.json(content_type=None) if response.content_length != 0 else None
                    retry_after = _seconds(response.headers.get("Retry-After"))
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.warning("graph call failed", extra={"method": method, "error": type(exc).__name__})
                raise _Ambiguous(SILENT) from exc
            if status < 300:
                return body if isinstance(body, dict) else {}
            code = _error_code(body)
            log.warning("graph call refused", extra={"method": method, "status": status, "code": code})
            if status == 404 and gone_ok and code in ("ErrorItemNotFound", "itemNotFound"):
                return {}
            if status in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                pause = retry_after if retry_after is not None else 0.5 * attempt
                if waited + pause <= self._config.retry_budget_s:
                    waited += pause
                    await asyncio.sleep(pause)
                    continue
            raise _failure(status, code)
        raise AssertionError("unreachable")

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            ca = self._config.ca_file
            context: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca) if ca else True
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._config.timeout_s),
                connector=aiohttp.TCPConnector(ssl=context),
            )
        return self._session


def _event_body(event: OutgoingEvent) -> dict[str, Any]:
    start, start_zone = wall_clock(event.start)
    end, end_zone = wall_clock(event.end)
    body: dict[str, Any] = {
        "subject": event.title,
        "body": {"contentType": "text", "content": event.description or ""},
        "start": {"dateTime": start, "timeZone": start_zone},
        "end": {"dateTime": end, "timeZone": end_zone},
        "attendees": [{"emailAddress": {"address": a.email, "name": a.name}, "type": "required"}
                      for a in event.attendees],
        "isReminderOn": event.reminder_minutes > 0,
        "reminderMinutesBeforeStart": event.reminder_minutes,
        "transactionId": event.key,
        "singleValueExtendedProperties": [{"id": KEY_PROPERTY, "value": event.key}],
    }
    if event.location:
        body["location"] = {"displayName": event.location}
    return body


def _busy(item: dict[str, Any], tz: ZoneInfo) -> Busy:
    return Busy(title=str(item.get("subject") or "(no title)"), start=_when(item.get("start"), tz),
                end=_when(item.get("end"), tz), location=(item.get("location") or {}).get("displayName") or None)


def _when(value: Any, tz: ZoneInfo) -> datetime:
    value = value or {}
    text = str(value.get("dateTime", ""))[:26]
    zone_name = str(value.get("timeZone") or tz.key)
    try:
        source = ZoneInfo("UTC" if zone_name.upper() in ("UTC", "ETC/UTC") else zone_name)
    except (ValueError, KeyError):  # a Windows zone name: we asked for ours with Prefer, so assume it
        source = tz
    return datetime.fromisoformat(text).replace(tzinfo=source).astimezone(tz)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_code(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code")) if isinstance(error, dict) and error.get("code") else None


def _failure(status: int, code: str | None) -> Exception:
    if status in (401, 403):
        return CalendarUnavailable(CONSENT)
    if status == 404:
        return CalendarUnavailable(MAILBOX)
    if status == 429:
        return CalendarUnavailable(BUSY)
    if status >= 500:
        return _Ambiguous(DOWN.format(status=status))
    return CalendarUnavailable(f"Outlook refused the request (error {status}{f', {code}' if code else ''}).")
