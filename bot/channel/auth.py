"""Inbound JWT validation and outbound credentials around botbuilder 4.17 (ARCHITECTURE §8, §10).

- Every inbound authentication failure becomes :class:`AuthenticationFailed` (routes answer 401): botbuilder raises
  ``PermissionError`` for some, and ``Exception``/``IndexError``/``jwt`` errors (→ 500) for forged signatures, expired
  tokens, bad endorsements and unknown key ids.
- Only Bot Framework *channel* tokens are accepted (issuer ``https://api.botframework.com``): emulator and skill
  tokens are refused before botbuilder routes them elsewhere.
- The signing-key refresh (blocking ``requests`` inside botbuilder) runs in a worker thread, not on the event loop.
- Outbound credentials (and so the MSAL token cache) are built once per (app id, scope, authority), connector clients
  once per (app id, serviceUrl, audience), user-token clients once per app id — not per turn. Connector clients send
  on one shared aiohttp session (``bot.channel.connector_http``) instead of msrest's requests-in-a-thread transport.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

import jwt
import requests
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConfiguration,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    BotFrameworkAuthenticationFactory,
    ChannelValidation,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from msrest.authentication import Authentication

from bot.channel.connector_http import DEFAULT_TIMEOUT_S, ConnectorTransport
from domain.settings import Settings

log = logging.getLogger(__name__)

CHANNEL_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
MAX_CLIENTS = 256  # connector clients kept (serviceUrls are allow-listed, so a handful in practice)
KEY_FETCH_TIMEOUT_S = 5.0
APP_TYPES = ("singletenant", "userassignedmsi", "multitenant")


class AuthenticationFailed(PermissionError):
    """Any reason an inbound request is not authenticated. The reason is for logs, never for the caller."""


class _Config:
    """The attribute names botbuilder's ConfigurationServiceClientCredentialFactory reads."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.microsoft_app_id
        self.APP_PASSWORD = settings.microsoft_app_password.get_secret_value()
        # No app id (local dev only): botbuilder's "MultiTenant" branch is the one that allows auth disabled.
        self.APP_TYPE = settings.microsoft_app_type if settings.microsoft_app_id else "MultiTenant"
        self.APP_TENANTID = settings.microsoft_app_tenant_id


def credentials_factory(settings: Settings) -> ServiceClientCredentialsFactory:
    """SingleTenant (app id + password + tenant) or UserAssignedMSI (client id + tenant); MultiTenant only for
    registrations that already exist. Missing values fail at start-up with botbuilder's message."""
    from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory

    if settings.microsoft_app_id and settings.microsoft_app_type.lower() not in APP_TYPES:
        raise ValueError(
            f"MICROSOFT_APP_TYPE must be SingleTenant or UserAssignedMSI, not {settings.microsoft_app_type!r}"
        )
    return ConfigurationServiceClientCredentialFactory(_Config(settings))


class CachingCredentialsFactory(ServiceClientCredentialsFactory):
    """Builds each credential once; MSAL then reuses its token until it expires."""

    def __init__(self, inner: ServiceClientCredentialsFactory) -> None:
        self._inner = inner
        self._cache: dict[tuple[str, str, str, bool], Authentication] = {}
        self._lock = asyncio.Lock()
        self.built = 0  # how many credentials were constructed (tests count it)

    async def is_valid_app_id(self, app_id: str) -> bool:
        return await self._inner.is_valid_app_id(app_id)

    async def is_authentication_disabled(self) -> bool:
        return await self._inner.is_authentication_disabled()

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Authentication:
        key = (app_id or "", oauth_scope or "", login_endpoint or "", bool(validate_authority))
        async with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                cached = await self._inner.create_credentials(app_id, oauth_scope, login_endpoint, validate_authority)
                self._cache[key] = cached
                self.built += 1
            return cached


class CachingConnectorFactory(ConnectorFactory):
    """One ConnectorClient per (serviceUrl, audience) for one app id, least recently used dropped past a bound."""

    def __init__(self, inner: ConnectorFactory, owner: FaradayAuthentication) -> None:
        self._inner = inner
        self._owner = owner

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return await self._owner.connector_client(self._inner, service_url, audience)


class FaradayAuthentication(BotFrameworkAuthentication):
    """botbuilder's public-cloud authentication with Faraday's edge rules and outbound caches."""

    def __init__(self, inner: BotFrameworkAuthentication, credentials: CachingCredentialsFactory, *,
                 connector_timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._inner = inner
        self.credentials = credentials
        self._clients: OrderedDict[tuple[str, str, str], ConnectorClient] = OrderedDict()
        self._user_token_clients: dict[str, UserTokenClient] = {}
        self._factories: dict[str, CachingConnectorFactory] = {}
        self.clients_built = 0
        # connector calls on one aiohttp session, not requests in a thread
        self.transport = ConnectorTransport(timeout_s=connector_timeout_s)

    # --- inbound ---------------------------------------------------------------------------------------------------
    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            disabled = await self.credentials.is_authentication_disabled()
            if not disabled:
                await _refresh_signing_keys(_bearer(auth_header))
            result = await self._inner.authenticate_request(activity, auth_header)
            if not disabled:
                _require_channel_claims(result.claims_identity, activity)
        except AuthenticationFailed:
            raise
        except Exception as exc:  # every failure mode of botbuilder's validation is "not authenticated"
            raise AuthenticationFailed(type(exc).__name__) from exc
        app_id = _app_id(result.claims_identity)
        result.connector_factory = self._factory(app_id, result.connector_factory)
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        raise AuthenticationFailed("streaming requests are not supported")

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        raise AuthenticationFailed("skill callbacks are not supported")

    # --- outbound --------------------------------------------------------------------------------------------------
    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        app_id = _app_id(claims_identity)
        factory = self._factories.get(app_id)
        if factory is None:
            return self._factory(app_id, self._inner.create_connector_factory(claims_identity))
        return factory

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = _app_id(claims_identity)
        client = self._user_token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._user_token_clients[app_id] = client
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def connector_client(
        self, inner: ConnectorFactory, service_url: str, audience: str | None
    ) -> ConnectorClient:
        key = (getattr(inner, "_app_id", "") or "", service_url, audience or "")
        client = self._clients.get(key)
        if client is None:
            client = self.transport.install(await inner.create(service_url, audience))
            self.clients_built += 1
            self._clients[key] = client
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(key)
        return client

    async def close(self) -> None:
        await self.transport.close()

    def _factory(self, app_id: str, inner: ConnectorFactory) -> CachingConnectorFactory:
        factory = self._factories.get(app_id)
        if factory is None:
            factory = self._factories[app_id] = CachingConnectorFactory(inner, self)
        return factory


def make_authentication(
    settings: Settings, *, credentials: ServiceClientCredentialsFactory | None = None
) -> FaradayAuthentication:
    """The BotFrameworkAuthentication the adapter and the routes share (public Azure cloud)."""
    caching = CachingCredentialsFactory(credentials or credentials_factory(settings))
    inner = BotFrameworkAuthenticationFactory.create(
        channel_service=None,
        credential_factory=caching,
        auth_configuration=AuthenticationConfiguration(),
    )
    return FaradayAuthentication(inner, caching, connector_timeout_s=settings.connector_timeout_s)


# --- helpers ---------------------------------------------------------------------------------------------------------
def _bearer(auth_header: str) -> str:
    scheme, _, token = (auth_header or "").partition(" ")
    if scheme != "Bearer" or not token or " " in token:
        raise AuthenticationFailed("missing or malformed Authorization header")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise AuthenticationFailed("not a JWT") from exc
    if claims.get("iss") != CHANNEL_ISSUER:  # emulator, skill and foreign tokens: not a Teams channel turn
        raise AuthenticationFailed("not a Bot Framework channel token")
    return token


def _require_channel_claims(identity: ClaimsIdentity | None, activity: Activity) -> None:
    claims = identity.claims if identity is not None else {}
    if not identity or not identity.is_authenticated or claims.get("iss") != CHANNEL_ISSUER:
        raise AuthenticationFailed("not a channel identity")
    if claims.get(ChannelValidation.SERVICE_URL_CLAIM) != activity.service_url:
        raise AuthenticationFailed("serviceUrl does not match the token")


def _app_id(identity: ClaimsIdentity | None) -> str:
    claims = identity.claims if identity is not None else {}
    app_id = claims.get(AuthenticationConstants.AUDIENCE_CLAIM) or claims.get(AuthenticationConstants.APP_ID_CLAIM)
    return str(app_id or "")


_refresh_lock = threading.Lock()


async def _refresh_signing_keys(token: str) -> None:
    """Do botbuilder's key refresh in a thread when it would happen (keys a day old, or an unknown kid and an hour
    old), so its blocking ``requests`` calls never stall the event loop."""
    url = ChannelValidation.open_id_metadata_endpoint or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    metadata = JwtTokenExtractor.get_open_id_metadata(url)
    kid = jwt.get_unverified_header(token).get("kid")
    now = datetime.now()
    known = any(isinstance(k, dict) and k.get("kid") == kid for k in metadata.keys)
    stale = metadata.last_updated < now - timedelta(days=1)
    if stale or (not known and metadata.last_updated < now - timedelta(hours=1)):
        await asyncio.to_thread(_fetch_keys, metadata)


def _fetch_keys(metadata: Any) -> None:
    with _refresh_lock:
        document = requests.get(metadata.url, timeout=KEY_FETCH_TIMEOUT_S)
        document.raise_for_status()
        keys = requests.get(document.json()["jwks_uri"], timeout=KEY_FETCH_TIMEOUT_S)
        keys.raise_for_status()
        metadata.keys = keys.json()["keys"]
        metadata.last_updated = datetime.now()
