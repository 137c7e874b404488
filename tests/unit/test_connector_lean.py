"""bot/connector_http.LeanConversations: the connector sees the same requests as from msrest's pipeline, and the
bot gets the same results and the same errors back (status, headers, Teams error code)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from botbuilder.core import MessageFactory
from botframework.connector.aio import ConnectorClient
from botframework.connector.aio.operations_async import ConversationsOperations
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.exceptions import HttpOperationError

from bot.cards.elements import attachment
from bot.channel.connector_http import ConnectorTransport, LeanConversations
from tests.support.cards import all_cards


class FixedTokenCredentials(MicrosoftAppCredentials):
    """Botbuilder's credentials with the MSAL call replaced by a fixed token (no network in unit tests)."""

    def get_access_token(self, force_refresh: bool = False) -> str:
        return "token-for-tests"


RESPONSES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "201 with an id": (201, {"Content-Type": "application/json"}, b'{"id": "1700000000001"}'),
    "200 with an extra key": (200, {"Content-Type": "application/json; charset=utf-8"}, b'{"id": "7", "more": [1]}'),
    "202 with no body": (202, {}, b""),
    "200 with a non-JSON body": (200, {"Content-Type": "text/plain"}, b"ok"),
    "429 with Retry-After": (429, {"Content-Type": "application/json", "Retry-After": "3"},
                             b'{"error": {"code": "Throttled", "message": "slow down"}}'),
    "403 not in roster": (403, {"Content-Type": "application/json"},
                          b'{"error": {"code": "BotNotInConversationRoster", "message": "no"}}'),
    "500 plain text": (500, {"Content-Type": "text/plain"}, b"upstream broke"),
}


class Recorder:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer = RESPONSES["201 with an id"]

    async def handle(self, request: web.Request) -> web.Response:
        ignored = {"Host", "Accept-Encoding"}  # added by aiohttp's client, the same for both
        self.requests.append({"method": request.method, "path": request.path_qs, "body": await request.read(),
                              "headers": {k: v for k, v in request.headers.items() if k not in ignored}})
        status, headers, body = self.answer
        return web.Response(status=status, headers=headers, body=body)


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[Recorder, str]]:
    rec = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield rec, f"http://127.0.0.1:{port}/amer/"
    await runner.cleanup()


def clients(base_url: str, credentials: MicrosoftAppCredentials,
            transport: ConnectorTransport) -> tuple[Any, Any]:
    lean = transport.install(ConnectorClient(credentials, base_url=base_url))
    stock = transport.install(ConnectorClient(credentials, base_url=base_url))
    stock.conversations = ConversationsOperations(stock._client, stock.config, stock._serialize, stock._deserialize)
    assert isinstance(lean.conversations, LeanConversations)
    return lean, stock


async def outcome(call: Any) -> Any:
    try:
        return await call
    except HttpOperationError as error:
        inner = getattr(getattr(error, "error", None), "error", None)
        return (type(error), error.response.status_code, error.response.headers.get("Retry-After"),
                getattr(inner, "code", None))
    except Exception as error:  # e.g. msrest's DeserializationError for a body it cannot read
        return type(error)


def calls(conversations: Any, activity: Any) -> dict[str, Any]:
    conversation = "a:1Xy/odd id?&=%"  # path arguments are quoted
    return {"reply": lambda: conversations.reply_to_activity(conversation, "1700000000000", activity),
            "send": lambda: conversations.send_to_conversation(conversation, activity),
            "update": lambda: conversations.update_activity(conversation, "1700000000002", activity)}


@pytest.mark.parametrize("credentials", [MicrosoftAppCredentials("", ""), FixedTokenCredentials("app-id", "secret")],
                         ids=["no app id (local)", "app id (bearer token)"])
@pytest.mark.parametrize("answer", list(RESPONSES))
async def test_lean_calls_send_and_return_what_msrests_pipeline_does(
    recorder: tuple[Recorder, str], credentials: MicrosoftAppCredentials, answer: str
) -> None:
    rec, base_url = recorder
    rec.answer = RESPONSES[answer]
    transport = ConnectorTransport()
    lean, stock = clients(base_url, credentials, transport)
    card = next(iter(all_cards().values()))
    activity = MessageFactory.attachment(attachment(card))
    activity.text = "ünïcödé ✓"
    try:
        for name in ("reply", "send", "update"):
            rec.requests.clear()
            got_lean = await outcome(calls(lean.conversations, activity)[name]())
            got_stock = await outcome(calls(stock.conversations, activity)[name]())
            assert got_lean == got_stock, name
            assert rec.requests[0] == rec.requests[1], name
            sent = rec.requests[0]
            assert json.loads(sent["body"])["text"] == "ünïcödé ✓"
            assert ("Authorization" in sent["headers"]) == bool(credentials.microsoft_app_id)
    finally:
        await transport.close()
