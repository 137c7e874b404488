"""An aiohttp transport for botbuilder's connector clients (replies, updates, proactive sends).

botframework-connector 4.17 sends through msrest's default async pipeline: the ``requests`` library run in a worker
thread, one thread hand-off and a synchronous HTTP stack per call. This module swaps only the transport at the
bottom of that pipeline for one shared ``aiohttp.ClientSession`` (keep-alive, on the event loop). Everything above it
is msrest's own: the user-agent and logging policies, serialization, and the deserializer that turns a 4xx/5xx into
``ErrorResponseException`` with ``.response.status_code`` and headers (what ``RetryingCloudAdapter`` reads).

Authentication keeps botbuilder's credentials object: the bearer token comes from ``get_access_token()`` (MSAL and
its token cache) exactly when the stock ``signed_session`` would set one, i.e. unless the app id is empty (local
development) or the anonymous skill id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from botframework.connector import models
from botframework.connector.aio.operations_async import ConversationsOperations
from botframework.connector.auth import AuthenticationConstants
from msrest.pipeline import AsyncHTTPSender, AsyncPipeline, Request, Response, SansIOHTTPPolicy
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http import AsyncClientResponse, ClientRequest

from bot.channel.activity_json import FastSerializer, parse_model

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 5.0  # per connector call (settings: connector_timeout_s)


class BearerToken(SansIOHTTPPolicy):  # type: ignore[misc]
    """``Authorization: Bearer …`` from botbuilder's AppCredentials, when the stock client would send one."""

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials

    def on_request(self, request: Request, **kwargs: Any) -> None:
        app_id = getattr(self._credentials, "microsoft_app_id", None)
        get_token = getattr(self._credentials, "get_access_token", None)
        if app_id and app_id != AuthenticationConstants.ANONYMOUS_SKILL_APP_ID and get_token is not None:
            request.http_request.headers["Authorization"] = f"Bearer {get_token()}"
        else:
            request.http_request.headers.pop("Authorization", None)


class _Response(AsyncClientResponse):  # type: ignore[misc]
    def __init__(self, request: ClientRequest, status: int, headers: Any, reason: str | None, body: bytes) -> None:
        super().__init__(request, None)
        # msrest's HttpOperationError exposes ``internal_response`` as ``exc.response`` (a requests.Response in the
        # stock transport): this object carries the same status_code / headers / reason / text.
        self.internal_response = self
        self.status_code = status
        self.headers = headers
        self.reason = reason
        self._body = body

    def body(self) -> bytes:
        return self._body

    def raise_for_status(self) -> None:
        if self.status_code is not None and self.status_code >= 400:
            raise aiohttp.ClientResponseError(None, (), status=self.status_code, message=self.reason or "")  # type: ignore[arg-type]


class AiohttpSender(AsyncHTTPSender):  # type: ignore[misc]
    """Sends msrest requests on a shared aiohttp session (created on first use, on the running loop)."""

    def __init__(self, session: Callable[[], aiohttp.ClientSession], timeout_s: float) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        return None  # the session belongs to the ConnectorTransport, closed with the app

    async def send(self, request: Request, **config: Any) -> Response:
        http: ClientRequest = request.http_request
        if http.files:  # not used by the connector operations the bot calls
            raise ValueError("multipart uploads are not supported by this transport")
        return Response(request, await self.fetch(http, dict(http.headers)))

    async def fetch(self, http: ClientRequest, headers: dict[str, str]) -> _Response:
        try:
            async with self._session().request(
                http.method, http.url, headers=headers, data=http.data, timeout=self._timeout, allow_redirects=False
            ) as response:
                body = await response.read()
                return _Response(http, response.status, response.headers.copy(), response.reason, body)
        except TimeoutError:
            # Ambiguous: the connector may have posted it. The turn fails (a 500), so Teams' re-send is answered
            # again and may show the reply twice: said here, not silently.
            log.warning("connector call timed out; a re-send may deliver it twice",
                        extra={"method": http.method, "timeout_s": self._timeout.total})
            raise


class LeanConversations(ConversationsOperations):  # type: ignore[misc]
    """The three connector calls of every turn and alert — ``reply_to_activity``, ``send_to_conversation``,
    ``update_activity`` — without msrest's request pipeline: the same URL, headers and body (``FastSerializer``)
    on the shared session, the same ``ResourceResponse``, and for any status msrest refuses, msrest's own
    ``ErrorResponseException`` built from the response (status, headers, error code: what ``RetryingCloudAdapter``
    and the alert relay read). Calls with custom headers, ``raw`` or operation config, and every other operation,
    are msrest's. Equality with the stock pipeline is tested (tests/unit/test_connector_lean.py)."""

    def __init__(self, client: Any, config: Any, serializer: Any, deserializer: Any, *, sender: AiohttpSender,
                 token: BearerToken | None) -> None:
        super().__init__(client, config, serializer, deserializer)
        self._sender = sender
        self._token = token

    async def reply_to_activity(self, conversation_id: str, activity_id: str, activity: Any, *,
                                custom_headers: Any = None, raw: bool = False, **operation_config: Any) -> Any:
        if custom_headers or raw or operation_config:
            return await super().reply_to_activity(conversation_id, activity_id, activity,
                                                   custom_headers=custom_headers, raw=raw, **operation_config)
        url = self._url(super().reply_to_activity.metadata["url"], conversation_id, activity_id)
        return await self._activity_call("POST", url, activity, {"x-ms-conversation-id": conversation_id})

    async def send_to_conversation(self, conversation_id: str, activity: Any, *, custom_headers: Any = None,
                                   raw: bool = False, **operation_config: Any) -> Any:
        if custom_headers or raw or operation_config:
            return await super().send_to_conversation(conversation_id, activity, custom_headers=custom_headers,
                                                      raw=raw, **operation_config)
        url = self._url(super().send_to_conversation.metadata["url"], conversation_id)
        return await self._activity_call("POST", url, activity, {})

    async def update_activity(self, conversation_id: str, activity_id: str, activity: Any, *,
                              custom_headers: Any = None, raw: bool = False, **operation_config: Any) -> Any:
        if custom_headers or raw or operation_config:
            return await super().update_activity(conversation_id, activity_id, activity,
                                                 custom_headers=custom_headers, raw=raw, **operation_config)
        url = self._url(super().update_activity.metadata["url"], conversation_id, activity_id)
        return await self._activity_call("PUT", url, activity, {})

    def _url(self, template: str, conversation_id: str, activity_id: str | None = None) -> str:
        arguments = {"conversationId": self._serialize.url("conversation_id", conversation_id, "str")}
        if activity_id is not None:
            arguments["activityId"] = self._serialize.url("activity_id", activity_id, "str")
        return str(self._client.format_url(template, **arguments))

    async def _activity_call(self, method: str, url: str, activity: Any, extra: dict[str, str]) -> Any:
        data = json.dumps(self._serialize.body(activity, "Activity"))  # as msrest's ClientRequest.add_content
        headers = {"Accept": "application/json", "Content-Type": "application/json; charset=utf-8", **extra,
                   "Content-Length": str(len(data)), "User-Agent": self.config.user_agent_policy.user_agent}
        http = ClientRequest(method, url)
        http.data = data
        if self._token is not None:
            self._token.on_request(Request(http))
            headers.update(http.headers)
        response = await self._sender.fetch(http, headers)
        # the pipeline's RawDeserializer step: a body it cannot read raises its DeserializationError, whatever
        # the status
        decoded = RawDeserializer.deserialize_from_http_generics(response.text(), response.headers)
        if response.status_code not in (200, 201, 202):
            raise models.ErrorResponseException(self._deserialize, response)
        if type(decoded) is dict:
            try:
                return parse_model(models.ResourceResponse, decoded, self._deserialize.dependencies)
            except Exception:  # noqa: S110 - a shape the fast path does not reproduce: msrest decides
                pass
        return self._deserialize("ResourceResponse", response)


class ConnectorTransport:
    """One aiohttp session for every connector client of a process; ``install`` rewires a client onto it."""

    def __init__(self, *, timeout_s: float = DEFAULT_TIMEOUT_S, limit: int = 100) -> None:
        self._timeout_s = timeout_s
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._limit))
        return self._session

    def install(self, client: Any) -> Any:
        """Replace ``client.config.pipeline``'s transport (and the requests-based credentials policy)."""
        config = client.config
        # msrest's own default is 100 s; a reply must fail well inside Teams' 15 s re-send window instead, so the
        # turn ends in a clean 500 and the re-send is answered (see bot/channel/retrying_adapter.py).
        configured = getattr(getattr(config, "connection", None), "timeout", None)
        timeout = min(float(configured), self._timeout_s) if configured else self._timeout_s
        token = BearerToken(config.credentials) if config.credentials is not None else None
        policies: list[Any] = [config.user_agent_policy, *([token] if token else []), RawDeserializer(),
                               config.http_logger_policy]
        sender = AiohttpSender(self.session, float(timeout))
        config.pipeline = AsyncPipeline(policies, sender)
        fast = FastSerializer(client._serialize.dependencies)  # request bodies (activities) without msrest's detour
        client._serialize = fast
        client.attachments._serialize = fast
        client.conversations = LeanConversations(client._client, config, fast, client._deserialize, sender=sender,
                                                 token=token)
        return client

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
