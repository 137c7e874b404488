"""HTTP routes: POST /api/messages (validated here before botbuilder sees it) and GET /healthz.

Order on /api/messages: body checks → JWT (every failure a 401) → channel/tenant/serviceUrl policy → per-user rate
limit (a polite reply, no agent) → the bot, with every outgoing message sanitised (links, images, HTML: OWASP LLM05).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ResourceResponse
from botframework.connector.auth import BotFrameworkAuthentication
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.agent.prompt import CANARY
from bot.channel import ChannelPolicy
from bot.handler import FaradayBot
from bot.rate_limit import Decision, RateLimiter, user_key
from bot.sanitize import sanitize_activity, sanitize_card
from domain.settings import Settings

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
POLICY = web.AppKey("policy", ChannelPolicy)
AUTH = web.AppKey("auth", BotFrameworkAuthentication)
ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", FaradayBot)
LIMITER = web.AppKey("limiter", RateLimiter)  # optional: no limiter, no per-user rate limit
LINK_HOSTS = web.AppKey("link_hosts", tuple)  # hosts model-written links may point to (none by default)

WITHHELD = "Sorry, I can't share that."
SLOW_DOWN = "You're sending messages faster than I can answer. Please wait {seconds} s and try again."
CARD_RESPONSE = "application/vnd.microsoft.card.adaptive"

routes = web.RouteTableDef()


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@routes.post("/api/messages")
async def messages(request: web.Request) -> web.Response:
    app = request.app
    if request.content_type != "application/json":
        return _error(415, "expected an application/json Bot Framework activity")
    try:
        body = await request.json()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "activity too large")
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return _error(400, "malformed JSON")
    activity = _parse_activity(body)
    if activity is None:
        return _error(400, "not a valid activity: type, serviceUrl, conversation.id and from.id are required")

    try:
        auth_result = await app[AUTH].authenticate_request(activity, request.headers.get("Authorization", ""))
    except Exception as exc:  # botbuilder raises many types for bad tokens; every one of them is a 401
        reason = str(exc) if type(exc).__name__ == "AuthenticationFailed" else type(exc).__name__
        log.info("authentication failed", extra={"reason": reason[:80]})
        return _error(401, "unauthorized")

    refusal = app[POLICY].refusal(activity)
    if refusal:
        log.info("activity refused", extra={"reason": refusal})
        return _error(403, refusal)

    try:
        invoke_response = await app[ADAPTER].process_activity(auth_result, activity, app[BOT].on_turn)
    except Exception as exc:
        log.exception("turn failed", extra={"error": type(exc).__name__})
        return _error(500, "the bot could not process this activity")
    if invoke_response:
        body = invoke_response.body  # already serialised by ActivityHandler, except for raw models
        payload = body if body is None or isinstance(body, (dict, list, str)) else serializer_helper(body)
        return web.json_response(payload, status=invoke_response.status)
    return web.Response(status=201)


def _parse_activity(body: Any) -> Activity | None:
    if not isinstance(body, dict):
        return None
    try:
        activity = Activity().deserialize(body)
    except Exception:
        return None
    if not (
        isinstance(activity.type, str)
        and activity.type
        and isinstance(activity.service_url, str)
        and activity.conversation is not None
        and activity.conversation.id
        and activity.from_property is not None
        and activity.from_property.id
    ):
        return None
    if activity.text is not None and not isinstance(activity.text, str):
        return None
    return activity


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        async with request.app[ENGINE].connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check failed", extra={"error": type(exc).__name__})
        return web.json_response({"status": "unavailable", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "up"})
