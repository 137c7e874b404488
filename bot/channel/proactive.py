"""Proactive delivery through botbuilder: the ``Sender`` the alert relay uses.

Sends with ``continue_conversation(reference, callback, bot_app_id=APP_ID)`` (without the app id the credentials
fail), creates a 1:1 conversation (``create_conversation`` with the tenant id) for a recipient without a stored
reference, updates a sent card in place (``update_activity``), keeps under Teams' rate limits, and classifies
connector errors: 429/412/5xx and connection errors are retryable (Retry-After kept), 403/404 are permanent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationParameters, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.cards.alert import alert_card, summary
from bot.cards.elements import attachment
from domain.alerts.ratelimit import RateLimiter
from domain.alerts.types import AlertView, DeliveryError, Sent, Target

log = logging.getLogger(__name__)

RETRYABLE = {408, 412, 429, 500, 502, 503, 504}
PERMANENT_REASONS = {
    "BotNotInConversationRoster": "Faraday isn't installed for them",
    "BotDisabledByAdmin": "Faraday is blocked for them by a Teams admin",
    "ConversationBlockedByUser": "they blocked Faraday",
    "ConversationNotFound": "their chat with Faraday no longer exists",
}


class BotSender:
    def __init__(self, adapter: BotAdapter, app_id: str, limiter: RateLimiter, *, channel_id: str = "msteams") -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._limiter = limiter
        self._channel_id = channel_id

    async def send(self, target: Target, view: AlertView) -> Sent:
        return await self.send_card(target, alert_card(view, can_start_emergency=target.role == "admin"),
                                    summary(view))

    async def update(self, target: Target, activity_id: str, view: AlertView) -> None:
        await self.update_card(target, activity_id, alert_card(view, can_start_emergency=target.role == "admin"))

    async def send_card(self, target: Target, content: dict[str, Any], preview: str) -> Sent:
        """Send one card (opening the 1:1 chat when none is stored), within Teams' rate limits."""
        reference, created = target.reference, None
        if reference is None:
            reference = created = await self._create(target)
        conversation_id = _conversation_id(reference)
        activity = Activity(type=ActivityTypes.message, attachments=[attachment(content)],
                            summary=preview)  # a card alone (no text): one bubble, so the reply carries an id
        ids: list[str] = []

        async def callback(turn: TurnContext) -> None:
            response = await turn.send_activity(activity)
            ids.append(response.id if response and response.id else "")

        await self._call(target.tenant_id, conversation_id, reference, callback)
        return Sent(activity_id=ids[0] if ids else "", conversation_id=conversation_id, new_reference=created)

    async def update_card(self, target: Target, activity_id: str, content: dict[str, Any]) -> None:
        reference = target.reference or {}
        activity = Activity(type=ActivityTypes.message, id=activity_id, attachments=[attachment(content)])

        async def callback(turn: TurnContext) -> None:
            await turn.update_activity(activity)

        await self._call(target.tenant_id, _conversation_id(reference), reference, callback)

    async def _call(self, tenant_id: str, conversation_id: str, reference: dict[str, Any], callback: Any) -> None:
        try:
            async with self._limiter.slot(tenant_id, conversation_id):
                await self._adapter.continue_conversation(  # type: ignore[call-arg]
                    ConversationReference().deserialize(reference), callback, bot_app_id=self._app_id
                )
        except Exception as exc:
            raise self._classify(exc, tenant_id, conversation_id) from exc

    async def _create(self, target: Target) -> dict[str, Any]:
        """Open a 1:1 chat with the recipient (works once Faraday is installed for them, personal scope)."""
        if not target.service_url:
            raise DeliveryError("no Teams service URL is known for this tenant yet", retryable=False,
                                code="NoServiceUrl")
        try:
            async with self._limiter.slot(target.tenant_id, f"create:{target.aad_object_id}"):
                return await open_personal_chat(
                    self._adapter, self._app_id, tenant_id=target.tenant_id, user_id=target.aad_object_id,
                    aad_object_id=target.aad_object_id, name=target.display_name, service_url=target.service_url,
                    bot_id=target.bot_id or f"28:{self._app_id}", channel_id=self._channel_id,
                )
        except Exception as exc:
            raise self._classify(exc, target.tenant_id, "") from exc

    def _classify(self, exc: Exception, tenant_id: str, conversation_id: str) -> DeliveryError:
        if isinstance(exc, DeliveryError):
            return exc
        if isinstance(exc, HttpOperationError):
            response = exc.response
            status = getattr(response, "status_code", None) or getattr(response, "status", None)
            headers = getattr(response, "headers", None) or {}
            retry_after = _retry_after(headers.get("Retry-After"))
            code = _error_code(exc)
            if status == 429:
                self._limiter.back_off(tenant_id, conversation_id, retry_after or 1.0)
            if status in RETRYABLE:
                return DeliveryError(f"Teams answered {status}", retryable=True, status=status, code=code,
                                     retry_after=retry_after)
            reason = PERMANENT_REASONS.get(code or "") or f"Teams refused the message (HTTP {status})"
            return DeliveryError(f"{reason} ({code})" if code else reason, retryable=False, status=status, code=code)
        if isinstance(exc, ClientRequestError | aiohttp.ClientError | asyncio.TimeoutError | OSError):
            return DeliveryError(f"connection error: {type(exc).__name__}", retryable=True, code="Connection")
        log.warning("unexpected proactive send error", extra={"error": type(exc).__name__})
        return DeliveryError(type(exc).__name__, retryable=True)


async def open_personal_chat(
    adapter: BotAdapter, app_id: str, *, tenant_id: str, user_id: str, aad_object_id: str, name: str | None,
    service_url: str, bot_id: str, channel_id: str = "msteams",
) -> dict[str, Any]:
    """Create (or, as Teams does for an existing one, return) the user's 1:1 chat with the bot: its reference.

    Works once Faraday is installed for the user in personal scope; otherwise the connector refuses (403).
    """
    member = ChannelAccount(id=user_id, aad_object_id=aad_object_id, name=name)
    params = ConversationParameters(
        is_group=False, bot=ChannelAccount(id=bot_id), members=[member],
        tenant_id=tenant_id, channel_data={"tenant": {"id": tenant_id}},
    )
    captured: list[dict[str, Any]] = []

    async def callback(turn: TurnContext) -> None:
        captured.append(TurnContext.get_conversation_reference(turn.activity).serialize())

    await adapter.create_conversation(app_id, callback, params, channel_id, service_url)  # type: ignore[call-arg]
    reference = captured[0]
    reference["user"] = {"id": user_id, "aadObjectId": aad_object_id, "name": name}
    reference.setdefault("conversation", {}).update({"conversationType": "personal", "tenantId": tenant_id})
    return reference


def _conversation_id(reference: dict[str, Any]) -> str:
    return str((reference.get("conversation") or {}).get("id", ""))


def _error_code(exc: HttpOperationError) -> str | None:
    inner = getattr(getattr(exc, "error", None), "error", None)
    code = getattr(inner, "code", None)
    return str(code) if code else None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
