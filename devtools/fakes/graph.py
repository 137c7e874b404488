"""A local Microsoft identity platform (OpenID metadata + client-credentials token endpoint) and a fake Microsoft
Graph calendar API on loopback, served over TLS with a CA made here, so the real msal and aiohttp talk to them.

Every request is recorded (method, path, query, headers, JSON body) for exact assertions; faults are queued per
route. Graph's ``transactionId`` is honoured as Graph documents it (a retried POST returns the first event)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import itertools
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TENANT = "contoso-tenant"
CLIENT_ID = "faraday-client-id"
CLIENT_SECRET = "faraday-client-secret"
KEY_VALUE = re.compile(r"ep/value eq '([^']*)'")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    method: str
    path_part: str
    status: int
    remaining: int
    retry_after: str | None = None
    body: dict[str, Any] | None = None
    delay: float = 0.0  # respond after this long (the work is done first: a slow success)


def make_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1; returns the server context and the CA file."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Faraday test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, ca_file


class FakeMicrosoft:
    def __init__(self, directory: Path, mailboxes: set[str]) -> None:
        self.directory = directory
        self.mailboxes = set(mailboxes)  # AAD object ids with an Exchange mailbox
        self.requests: list[Recorded] = []
        self.events: dict[str, dict[str, Any]] = {}  # id → stored event (with "_user")
        self.faults: list[Fault] = []
        self.sent_mail: list[dict[str, Any]] = []  # sendMail messages (with "_user"), in order
        self.draft_mail: dict[str, dict[str, Any]] = {}  # id → message saved in Drafts (with "_user")
        self.refuse_credentials = False
        self._ids = itertools.count(1)
        self._tokens: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.ca_file = Path()

    # --- lifecycle ---------------------------------------------------------------------------------------------
    async def start(self) -> Self:
        """Serve the identity platform's metadata and token endpoints, and ``_routes``, over TLS on a free port."""
        context, self.ca_file = make_tls(self.directory)
        app = web.Application()
        app.router.add_get(f"/{TENANT}/v2.0/.well-known/openid-configuration", self._metadata)
        app.router.add_post(f"/{TENANT}/oauth2/v2.0/token", self._token)
        self._routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"https://127.0.0.1:{port}"
        return self

    def _routes(self, app: web.Application) -> None:
        """This fake's Graph routes (calendar and mail); the other fakes of Graph serve theirs instead."""
        app.router.add_post("/v1.0/users/{user}/events", self._create)
        app.router.add_get("/v1.0/users/{user}/events", self._find)
        app.router.add_get("/v1.0/users/{user}/calendarView", self._view)
        app.router.add_delete("/v1.0/users/{user}/events/{id}", self._delete)
        app.router.add_post("/v1.0/users/{user}/sendMail", self._send_mail)
        app.router.add_post("/v1.0/users/{user}/messages", self._create_message)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- test controls -------------------------------------------------------------------------------------------
    def fail_next(self, method: str, path_part: str, status: int, count: int = 1, *, retry_after: str | None = None,
                  code: str = "Fault", delay: float = 0.0) -> None:
        self.faults.append(Fault(method, path_part, status, count, retry_after,
                                 {"error": {"code": code, "message": "injected"}}, delay))

    def add_existing(self, user: str, subject: str, start: dt.datetime, end: dt.datetime) -> str:
        event_id = f"existing-{next(self._ids)}"
        self.events[event_id] = {"id": event_id, "_user": user, "subject": subject, "_start": start, "_end": end,
                                 "showAs": "busy", "isCancelled": False, "location": {"displayName": "Gym"}}
        return event_id

    def token_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/token")]

    def graph_requests(self, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/v1.0") and (method is None or r.method == method)]

    def events_of(self, user: str) -> list[dict[str, Any]]:
        return [e for e in self.events.values() if e["_user"] == user and not e["id"].startswith("existing-")]

    # --- identity platform ---------------------------------------------------------------------------------------
    async def _metadata(self, request: web.Request) -> web.Response:
        await self._record(request)
        base = f"{self.url}/{TENANT}"
        return web.json_response({
            "issuer": f"{base}/v2.0", "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        })

    async def _token(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        form = recorded.form
        if self.refuse_credentials or form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return web.json_response({"error": "invalid_client", "error_description": "AADSTS7000215"}, status=401)
        token = f"token-{next(self._ids)}"
        self._tokens.add(token)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                  "access_token": token})

    # --- Graph -------------------------------------------------------------------------------------------------
    async def _create(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        refusal = self._refusal(request, recorded)
        fault = self._fault(request)
        if refusal or (fault and fault.status):
            return refusal or await self._fault_response(fault)  # type: ignore[arg-type]
        body = recorded.json
        user = request.match_info["user"]
        twin = next((e for e in self.events_of(user) if e.get("transactionId") == body.get("transactionId")), None)
        event = twin or self._store(user, body)
        if fault and fault.delay:
            await asyncio.sleep(fault.delay)
        return web.json_response(_public(event), status=201)

    async def _find(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        refusal = self._refusal(request, recorded) or await self._maybe_fault(request)
        if refusal:
            return refusal
        match = KEY_VALUE.search(request.query.get("$filter", ""))
        key = match.group(1) if match else None
        found = [_public(e) for e in self.events_of(request.match_info["user"]) if key and e.get("_key") == key]
        return web.json_response({"value": found[: int(request.query.get("$top", "10"))]})

    async def _view(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        refusal = self._refusal(request, recorded) or await self._maybe_fault(request)
        if refusal:
            return refusal
        start = dt.datetime.fromisoformat(request.query["startDateTime"])
        end = dt.datetime.fromisoformat(request.query["endDateTime"])
        prefer = re.search(r'outlook.timezone="([^"]+)"', request.headers.get("Prefer", ""))
        tz = ZoneInfo(prefer.group(1)) if prefer else ZoneInfo("UTC")
        hits = sorted((e for e in self.events.values() if e["_user"] == request.match_info["user"]
                       and e["_start"] < end and e["_end"] > start), key=lambda e: e["_start"])
        return web.json_response({"value": [_public(e, tz) for e in hits]})

    async def _delete(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        refusal = self._refusal(request, recorded) or await self._maybe_fault(request)
        if refusal:
            return refusal
        if self.events.pop(request.match_info["id"], None) is None:
            return web.json_response({"error": {"code": "ErrorItemNotFound", "message": "gone"}}, status=404)
        return web.Response(status=204)

    # --- mail (messages home) ------------------------------------------------------------------------------------
    async def _send_mail(self, request: web.Request) -> web.Response:
        """As Graph: 202 Accepted with no body; the message lands in the sender's Sent Items."""
        recorded = await self._record(request)
        refusal = self._refusal(request, recorded) or await self._maybe_fault(request)
        if refusal:
            return refusal
        message = (recorded.json or {}).get("message")
        if not isinstance(message, dict) or not message.get("toRecipients"):
            return web.json_response({"error": {"code": "ErrorInvalidRecipients", "message": "no"}}, status=400)
        self.sent_mail.append({**message, "_user": request.match_info["user"]})
        return web.Response(status=202)

    async def _create_message(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        refusal = self._refusal(request, recorded) or await self._maybe_fault(request)
        if refusal:
            return refusal
        message_id = f"AAMkMsg-{next(self._ids)}"
        self.draft_mail[message_id] = {**(recorded.json or {}), "id": message_id, "isDraft": True,
                                       "_user": request.match_info["user"]}
        return web.json_response({k: v for k, v in self.draft_mail[message_id].items() if not k.startswith("_")},
                                 status=201)

    # --- helpers -----------------------------------------------------------------------------------------------
    async def _record(self, request: web.Request) -> Recorded:
        body: Any = None
        form: dict[str, str] = {}
        if request.content_type == "application/x-www-form-urlencoded":
            form = {k: str(v) for k, v in (await request.post()).items()}
        elif request.can_read_body:
            body = await request.json()
        recorded = Recorded(request.method, request.path, dict(request.query), dict(request.headers), body, form)
        self.requests.append(recorded)
        return recorded

    def _refusal(self, request: web.Request, recorded: Recorded) -> web.Response | None:
        token = recorded.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._tokens:
            return web.json_response({"error": {"code": "InvalidAuthenticationToken", "message": "no"}}, status=401)
        if request.match_info["user"] not in self.mailboxes:
            return web.json_response({"error": {"code": "ErrorInvalidUser", "message": "no mailbox"}}, status=404)
        return None

    def _fault(self, request: web.Request) -> Fault | None:
        for fault in self.faults:
            if fault.remaining > 0 and fault.method == request.method and fault.path_part in request.path:
                fault.remaining -= 1
                return fault
        return None

    async def _maybe_fault(self, request: web.Request) -> web.Response | None:
        fault = self._fault(request)
        return await self._fault_response(fault) if fault and fault.status else None

    async def _fault_response(self, fault: Fault) -> web.Response:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        return web.json_response(fault.body, status=fault.status, headers=headers)

    def _store(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        event_id = f"AAMk-{next(self._ids)}"
        keys = [p["value"] for p in body.get("singleValueExtendedProperties", [])]
        event = {**body, "id": event_id, "_user": user, "_key": keys[0] if keys else None,
                 "_start": _absolute(body["start"]), "_end": _absolute(body["end"]), "showAs": "busy",
                 "isCancelled": False}
        self.events[event_id] = event
        return event


def _absolute(value: dict[str, str]) -> dt.datetime:
    zone = ZoneInfo(value["timeZone"])
    return dt.datetime.fromisoformat(value["dateTime"]).replace(tzinfo=zone)


def _public(event: dict[str, Any], tz: ZoneInfo | None = None) -> dict[str, Any]:
    shown = {k: v for k, v in event.items() if not k.startswith("_") and k != "singleValueExtendedProperties"}
    if tz is not None:
        for name in ("start", "end"):
            local = event[f"_{name}"].astimezone(tz).replace(tzinfo=None)
            shown[name] = {"dateTime": local.isoformat() + ".0000000", "timeZone": tz.key}
    return shown
