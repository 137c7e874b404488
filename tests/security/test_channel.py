"""The Teams channel edge with real Bot Framework JWT validation against a local OpenID metadata + JWKS server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import jwt
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from bot.channel.auth import FaradayAuthentication
from bot.routes import AUTH
from devtools.fakes.activities import ALEX, activity
from devtools.fakes.compromised_model import CompromisedModel
from devtools.fakes.connector import FakeConnector
from domain.models import ConversationReference
from tests.support.app_client import BotClient, bot_settings, start_bot
from tests.support.security import APP_ID, MODULE, UNLIMITED, Keys, sessions_for

pytestmark = [MODULE, pytest.mark.usefixtures("fresh_key_cache")]

OUTBOUND_TOKEN = "outbound-token-for-tests"


class Spies:
    def __init__(self) -> None:
        self.connector_clients = 0
        self.credentials = 0
        self.token_clients = 0


@pytest.fixture(scope="module")
def spies() -> Iterator[Spies]:
    """Count constructions of outbound credentials and clients; outbound tokens come without AAD."""
    from botframework.connector.auth import _connector_factory_impl, _user_token_client_impl
    from botframework.connector.auth import password_service_client_credential_factory as password
    from botframework.connector.auth.microsoft_app_credentials import MicrosoftAppCredentials

    counts = Spies()
    real_client, real_token_client, real_credentials = (
        _connector_factory_impl.ConnectorClient, _user_token_client_impl.TokenApiClient, password.MicrosoftAppCredentials
    )

    class CountedClient(real_client):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            counts.connector_clients += 1
            super().__init__(*args, **kwargs)

    class CountedTokenClient(real_token_client):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            counts.token_clients += 1
            super().__init__(*args, **kwargs)

    class CountedCredentials(real_credentials):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            counts.credentials += 1
            super().__init__(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_connector_factory_impl, "ConnectorClient", CountedClient)
        patch.setattr(_user_token_client_impl, "TokenApiClient", CountedTokenClient)
        patch.setattr(password, "MicrosoftAppCredentials", CountedCredentials)
        patch.setattr(MicrosoftAppCredentials, "get_access_token", lambda self, force_refresh=False: OUTBOUND_TOKEN)
        yield counts


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def secure_bot(module_db: str, redis_server: str, keys: Keys, spies: Spies, model: CompromisedModel,
                     fake_connector: FakeConnector) -> AsyncIterator[BotClient]:
    settings = bot_settings(
        module_db, redis_server, faraday_dev_insecure=False, microsoft_app_id=APP_ID,
        **{"microsoft_app_password": "not-a-real-secret"}, microsoft_app_tenant_id="tenant-of-the-bot",
        allowed_tenants=["00000000-0000-0000-0000-0000000000001"], allowed_service_url_hosts=["127.0.0.1"],
        openai_api_key="sk-test", openai_base_url=model.base_url, **UNLIMITED,
    )
    client = await start_bot(settings, fake_connector)
    yield client
    await client.close()
    await client.server.close()


async def post(bot: BotClient, body: dict[str, Any], token: str | None, scheme: str = "Bearer") -> int:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"{scheme} {token}"
    status, _ = await bot.post(body, headers=headers)
    return status


def help_message(connector: FakeConnector, **extra: Any) -> dict[str, Any]:
    return activity(connector.url, text="help", **extra)


async def test_a_valid_channel_token_is_accepted_and_answered(secure_bot: BotClient, keys: Keys,
                                                               fake_connector: FakeConnector) -> None:
    before = len(fake_connector.messages())
    assert await post(secure_bot, help_message(fake_connector), keys.token(fake_connector.url)) == 201
    assert len(fake_connector.messages()) == before + 1


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("expired 4 minutes ago (inside the 5-minute leeway)", 201),
        ("expired 6 minutes ago (beyond the leeway)", 401),
        ("not valid for another 6 minutes", 401),
        ("wrong audience", 401),
        ("wrong issuer", 401),
        ("emulator issuer", 401),
        ("serviceUrl claim differs from the activity", 401),
        ("key endorsed only for webchat", 401),
        ("HS256 signed with the public key", 401),
        ("forged signature under a published kid", 401),
        ("unknown kid", 401),
        ("no kid", 401),
        ("missing header", 401),
        ("Basic scheme", 401),
        ("garbage token", 401),
    ],
)
async def test_each_kind_of_bad_token_gets_the_right_status_never_a_500(
    secure_bot: BotClient, keys: Keys, fake_connector: FakeConnector, case: str, expected: int
) -> None:
    url, now = fake_connector.url, int(time.time())
    scheme, token = "Bearer", None
    if case.startswith("expired 4"):
        token = keys.token(url, exp=now - 240, nbf=now - 3600)
    elif case.startswith("expired 6"):
        token = keys.token(url, exp=now - 360, nbf=now - 3600)
    elif case.startswith("not valid"):
        token = keys.token(url, nbf=now + 360)
    elif case == "wrong audience":
        token = keys.token(url, aud="someone-elses-bot")
    elif case == "wrong issuer":
        token = keys.token(url, iss="https://evil.example")
    elif case == "emulator issuer":
        token = keys.token(url, iss="https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/", appid=APP_ID)
    elif case.startswith("serviceUrl"):
        token = keys.token("https://smba.trafficmanager.net/amer/")
    elif case.startswith("key endorsed"):
        token = keys.token(url, kid="webchat")
    elif case.startswith("HS256"):
        from cryptography.hazmat.primitives import serialization

        pem = keys.good.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        token = _hs256(url, pem)
    elif case.startswith("forged"):
        token = keys.token(url, key=keys.attacker)
    elif case == "unknown kid":
        token = keys.token(url, kid="nobody-published-this", key=keys.attacker)
    elif case == "no kid":
        token = jwt.encode({"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": url,
                            "exp": now + 600}, keys.good, algorithm="RS256")
    elif case == "Basic scheme":
        scheme, token = "Basic", "dXNlcjpwYXNz"
    elif case == "garbage token":
        token = "not.a.jwt"
    sent_before = len(fake_connector.messages())
    assert await post(secure_bot, help_message(fake_connector), token, scheme) == expected
    assert len(fake_connector.messages()) == sent_before + (1 if expected == 201 else 0)


def _hs256(url: str, secret: bytes) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "good"}).encode())
    payload = b64(json.dumps({"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": url,
                              "exp": int(time.time()) + 600}).encode())
    signature = b64(hmac.new(secret, header + b"." + payload, hashlib.sha256).digest())
    return (header + b"." + payload + b"." + signature).decode()


async def test_tenants_and_service_url_hosts_outside_the_allowlists_are_refused(
    secure_bot: BotClient, keys: Keys, fake_connector: FakeConnector, module_db: str
) -> None:
    engine, sessions = await sessions_for(module_db)
    before = len(fake_connector.requests)
    try:
        other_tenant = help_message(fake_connector, tenant="99999999-0000-0000-0000-000000000000",
                                    conversation_id="a:other-tenant")
        assert await post(secure_bot, other_tenant, keys.token(fake_connector.url)) == 403
        # the fake connector's own address, spelled as a host outside the allowlist: a reply would still reach it
        elsewhere = fake_connector.url.replace("127.0.0.1", "[::ffff:127.0.0.1]")
        outside = activity(elsewhere, text="help", conversation_id="a:elsewhere")
        assert await post(secure_bot, outside, keys.token(elsewhere)) == 403
        # A genuine key for another channel authenticates a webchat activity, and the channel policy refuses it.
        other_channel = help_message(fake_connector, channelId="webchat", conversation_id="a:webchat")
        assert await post(secure_bot, other_channel, keys.token(fake_connector.url, kid="webchat")) == 403
        assert fake_connector.requests[before:] == [], "no reply, typing or token request was sent"
        async with sessions() as s:
            stored = (await s.execute(select(ConversationReference.conversation_id).where(
                ConversationReference.conversation_id.in_(["a:other-tenant", "a:elsewhere", "a:webchat"])))).all()
        assert stored == []
    finally:
        await engine.dispose()


async def test_conversation_references_are_stored_only_from_authenticated_turns(
    secure_bot: BotClient, keys: Keys, fake_connector: FakeConnector, module_db: str
) -> None:
    engine, sessions = await sessions_for(module_db)

    async def stored(conversation: str) -> int:
        async with sessions() as s:
            return int((await s.execute(select(func.count()).select_from(ConversationReference)
                                        .where(ConversationReference.conversation_id == conversation))).scalar_one())

    try:
        forged = help_message(fake_connector, conversation_id="a:forged-conversation")
        assert await post(secure_bot, forged, None) == 401
        assert await post(secure_bot, forged, keys.token(fake_connector.url, key=keys.attacker)) == 401
        assert await stored("a:forged-conversation") == 0
        real = help_message(fake_connector, conversation_id="a:real-conversation", aad=ALEX)
        assert await post(secure_bot, real, keys.token(fake_connector.url)) == 201
        assert await stored("a:real-conversation") == 1
    finally:
        await engine.dispose()


async def test_outbound_credentials_and_connector_clients_are_built_once_not_per_turn(
    secure_bot: BotClient, keys: Keys, fake_connector: FakeConnector, spies: Spies
) -> None:
    auth = secure_bot.server.app[AUTH]
    assert isinstance(auth, FaradayAuthentication), "bot/app.py must authenticate with make_authentication"
    for _ in range(2):  # warm: the first turn may build them
        await post(secure_bot, help_message(fake_connector), keys.token(fake_connector.url))
    before = (spies.connector_clients, spies.credentials, spies.token_clients, auth.credentials.built)
    sent = len(fake_connector.messages())
    for _ in range(5):
        assert await post(secure_bot, help_message(fake_connector), keys.token(fake_connector.url)) == 201
    assert len(fake_connector.messages()) == sent + 5
    assert (spies.connector_clients, spies.credentials, spies.token_clients, auth.credentials.built) == before
    assert auth.clients_built == 1


async def test_replies_carry_the_bots_outbound_token_over_the_aiohttp_transport(
    secure_bot: BotClient, keys: Keys, fake_connector: FakeConnector
) -> None:
    """bot.channel.connector_http swaps msrest's transport: the bearer token from the app credentials must still be
sent."""
    assert await post(secure_bot, help_message(fake_connector), keys.token(fake_connector.url)) == 201
    assert fake_connector.messages()[-1]["_authorization"] == f"Bearer {OUTBOUND_TOKEN}"
