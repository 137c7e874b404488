"""A Microsoft Graph client for batch reads (the roster's education sync, the knowledge base's SharePoint folder sync):
msal client credentials (the calendar's ``TokenSource``: one msal app, never blocking the loop), collections paged by
``@odata.nextLink``, delta queries ending in ``@odata.deltaLink``, file downloads, and ``Retry-After`` honoured on
429/503 (502/504 and connection failures retried with backoff) within a per-call budget.

Links Graph hands back (next, delta, and a delta's ``Location`` after 410 Gone) are followed only on Graph's own
host. A file's content is fetched from Graph, whose 302 points at a pre-authenticated download URL: that one is
fetched without our token, over https (or Graph's own host), and read up to a byte cap. Failures raise
``GraphError`` naming the resource, with one sentence a person can act on (``permission`` names what to grant on
401/403). Tokens, URLs with their query strings and bodies are never logged."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from domain.calendar.backend import CalendarUnavailable
from domain.calendar.graph import GraphConfig, TokenSource
from domain.settings import Settings

log = logging.getLogger(__name__)
RETRY_STATUSES = {429, 502, 503, 504}
MAX_ATTEMPTS = 6
RETRY_BUDGET_S = 120.0  # a batch sync may wait; the caller is told when it gives up
REDIRECTS = {301, 302, 303, 307, 308}
BUSY = "Graph stayed busy or unreachable (throttled or 5xx after retries); nothing was written, try again later"


def graph_config(settings: Settings) -> GraphConfig:
    """The app registration's Graph settings (``MS_*``, ``GRAPH_*``)."""
    return GraphConfig(
        tenant_id=settings.ms_tenant_id, client_id=settings.ms_client_id,
        client_secret=settings.ms_client_secret.get_secret_value(),
        certificate_path=settings.ms_client_certificate_path,
        certificate_thumbprint=settings.ms_client_certificate_thumbprint,
        authority_host=settings.ms_authority_host, base_url=settings.graph_base_url.rstrip("/"),
        ca_file=settings.graph_ca_file, timeout_s=settings.graph_timeout_s,
    )


class GraphError(Exception):
    def __init__(self, resource: str, message: str, *, status: int = 0) -> None:
        super().__init__(f"{resource}: {message}")
        self.resource = resource
        self.message = message
        self.status = status


class DeltaGone(GraphError):
    """410 Gone on a delta link: Graph cannot continue from it; ``restart`` is where a full enumeration starts."""

    def __init__(self, resource: str, restart: str | None) -> None:
        super().__init__(resource, "the delta link expired; a full enumeration is needed", status=410)
        self.restart = restart


class TooLarge(GraphError):
    pass


class GraphClient:
    def __init__(self, config: GraphConfig, *, permission: str, retry_budget_s: float = RETRY_BUDGET_S,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._config = config
        self._tokens = TokenSource(config)
        self._permission = permission
        self._budget = retry_budget_s
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._host = urlsplit(config.base_url).netloc
        self.requests = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def url(self, path: str) -> str:
        return f"{self._config.base_url}{path}"

    async def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """One JSON resource (``path`` under the base URL)."""
        return await self._json(self.url(path), params, resource=path)

    async def post(self, path: str, body: dict[str, Any], *, conflict_ok: bool = False) -> int:
        """POST a JSON body; the status (2xx). ``conflict_ok``: Graph's 409 (the thing exists already) is returned
        as 409 instead of raised. A POST is retried on 429/5xx like a read, so it must be safe to repeat (as an
        app installation is: a repeat that finds the first one done answers 409)."""
        status = await self._request(self.url(path), None, resource=path, method="POST", body=body,
                                     conflict_ok=conflict_ok)
        assert isinstance(status, int)
        return status

    async def pages(self, path: str, params: dict[str, str] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every item of a collection, page after page (``@odata.nextLink`` followed as given, Graph's host only)."""
        url: str | None = self.url(path)
        query = params
        while url:
            body = await self._json(url, query, resource=path)
            for item in body.get("value", []):
                yield item
            url, query = self._own(body.get("@odata.nextLink"), path), None

    async def delta(self, start: str, *, resource: str) -> tuple[list[dict[str, Any]], str]:
        """Every item of a delta query from ``start`` (a path, or a stored delta link) through its pages, and the new
        ``@odata.deltaLink``. ``DeltaGone`` when Graph says the link can no longer be followed."""
        url: str | None = start if start.startswith("https://") else self.url(start)
        self._own(url, resource)
        items: list[dict[str, Any]] = []
        while url:
            body = await self._json(url, None, resource=resource)
            items.extend(body.get("value", []))
            delta_link = body.get("@odata.deltaLink")
            if delta_link:
                return items, self._own(delta_link, resource) or ""
            url = self._own(body.get("@odata.nextLink"), resource)
        raise GraphError(resource, "Graph ended a delta query without a delta link")

    async def download(self, path: str, *, max_bytes: int) -> bytes:
        """A file's bytes: Graph's ``/content`` (with our token) → its pre-authenticated download URL (without)."""
        response = await self._request(self.url(path), None, resource=path, redirects=False, max_bytes=max_bytes)
        if isinstance(response, bytes):
            return self._capped(response, path, max_bytes)
        if not isinstance(response, str):
            raise GraphError(path, "Graph answered a download with JSON")
        location = response
        parts = urlsplit(location)
        if parts.scheme != "https" and parts.netloc != self._host:
            raise GraphError(path, "the download link Graph gave is not https")
        body = await self._request(location, None, resource=path, authorised=False, max_bytes=max_bytes)
        assert isinstance(body, bytes)
        return body

    # --- the one request loop ---------------------------------------------------------------------------------
    async def _json(self, url: str, params: dict[str, str] | None, *, resource: str) -> dict[str, Any]:
        body = await self._request(url, params, resource=resource, as_json=True)
        assert isinstance(body, dict)
        return body

    async def _request(self, url: str, params: dict[str, str] | None, *, resource: str, as_json: bool = False,
                       redirects: bool = True, authorised: bool = True, max_bytes: int = 0, method: str = "GET",
                       body: dict[str, Any] | None = None,
                       conflict_ok: bool = False) -> dict[str, Any] | bytes | str | int:
        session = self._session or self._open()
        waited = 0.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            headers = {}
            if authorised:
                try:
                    headers["Authorization"] = f"Bearer {await self._tokens.token()}"
                except CalendarUnavailable as exc:
                    raise GraphError("sign-in", str(exc)) from None
            retry_after: float | None = None
            try:
                self.requests += 1
                async with session.request(method, url, params=params, headers=headers, json=body,
                                           allow_redirects=False) as response:
                    status = response.status
                    if method != "GET" and (200 <= status < 300 or (status == 409 and conflict_ok)):
                        return status
                    if status == 200:
                        if as_json:
                            return dict(await response.json())
                        return await _read_capped(response, resource, max_bytes)
                    if status in REDIRECTS and not redirects and response.headers.get("Location"):
                        return response.headers["Location"]
                    if status == 410:
                        raise DeltaGone(resource, self._own(response.headers.get("Location"), resource))
                    retry_after = _seconds(response.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = 0
                log.info("graph call failed", extra={"resource": resource, "error": type(exc).__name__})
            if status in (401, 403):
                raise GraphError(resource, f"Graph refused the request ({status}): {self._permission}", status=status)
            if status == 404:
                raise GraphError(resource, "not found (Graph answered 404)", status=404)
            if status == 409:
                raise GraphError(resource, "Graph answered 409 (it exists already)", status=409)
            if status and status not in RETRY_STATUSES:
                raise GraphError(resource, f"Graph answered {status}", status=status)
            pause = retry_after if retry_after is not None else min(2.0 ** attempt, 30.0)
            if attempt == MAX_ATTEMPTS or waited + pause > self._budget:
                break
            log.info("graph throttled, retrying", extra={"resource": resource, "status": status, "pause_s": pause})
            await self._sleep(pause)
            waited += pause
        raise GraphError(resource, BUSY)

    def _own(self, link: str | None, resource: str) -> str | None:
        """A link Graph returned, if it points at Graph's own host (anything else is refused)."""
        if link and urlsplit(link).netloc != self._host:
            raise GraphError(resource, "a link Graph returned pointed at another host")
        return link

    def _capped(self, data: bytes, resource: str, max_bytes: int) -> bytes:
        if max_bytes and len(data) > max_bytes:
            raise TooLarge(resource, f"larger than {max_bytes // (1024 * 1024)} MB")
        return data

    def _open(self) -> aiohttp.ClientSession:
        context = ssl.create_default_context(cafile=self._config.ca_file or None)
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self._config.timeout_s * 4),
            connector=aiohttp.TCPConnector(ssl=context),
        )
        return self._session


async def _read_capped(response: aiohttp.ClientResponse, resource: str, max_bytes: int) -> bytes:
    if not max_bytes:
        return await response.read()
    if response.content_length is not None and response.content_length > max_bytes:
        raise TooLarge(resource, f"larger than {max_bytes // (1024 * 1024)} MB")
    data = bytearray()
    async for block in response.content.iter_chunked(65536):
        data.extend(block)
        if len(data) > max_bytes:
            raise TooLarge(resource, f"larger than {max_bytes // (1024 * 1024)} MB")
    return bytes(data)


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
