"""HTTP routes: POST /api/messages (validated here before botbuilder sees it), GET /healthz and the signed
.ics links (GET /calendar/{token}.ics).

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
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.prompt import CANARY
from bot.channel.activity_json import parse_activity
from bot.channel.activity_shape import MAX_DEPTH, shape_problem
from bot.channel.policy import ChannelPolicy, tenant_id
from bot.channel.rate_limit import Decision, RateLimiter, user_key
from bot.channel.sanitize import sanitize_activity, sanitize_card
from bot.handler import FaradayBot
from domain.db import ping
from domain.events import EventService
from domain.messages_home.service import MessageHomeService
from domain.settings import Settings
from knowledge.files import KnowledgeFiles

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
MEMORY_ENGINE = web.AppKey("memory_engine", AsyncEngine)
POLICY = web.AppKey("policy", ChannelPolicy)
AUTH = web.AppKey("auth", BotFrameworkAuthentication)
ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", FaradayBot)
LIMITER = web.AppKey("limiter", RateLimiter)  # optional: no limiter, no per-user rate limit
LINK_HOSTS = web.AppKey("link_hosts", tuple)  # hosts model-written links may point to (none by default)
EVENTS = web.AppKey("events", EventService)
KNOWLEDGE_FILES = web.AppKey("knowledge_files", KnowledgeFiles)  # signed links to uploaded documents' files
MESSAGES_HOME = web.AppKey("messages_home", MessageHomeService)  # messages home: the .eml links (no Graph)

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
    except RecursionError:  # the decoder's own limit, far past MAX_DEPTH
        return _error(400, f"not a valid activity: nested deeper than {MAX_DEPTH} levels")
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return _error(400, "malformed JSON")
    problem = shape_problem(body)
    if problem:
        return _error(400, f"not a valid activity: {problem}")
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

    hosts: tuple[str, ...] = app.get(LINK_HOSTS, ())
    logic = _sanitised(app[BOT].on_turn, hosts)
    limiter = app.get(LIMITER)
    if limiter is not None and activity.type in ("message", "invoke"):
        aad_object_id = getattr(activity.from_property, "aad_object_id", None)
        decision = await limiter.hit(user_key(tenant_id(activity), aad_object_id))
        if not decision.allowed:
            log.info("rate limited", extra={"activity_type": activity.type, "retry_after_s": decision.retry_after_s})
            if activity.type == "invoke":
                return web.json_response(_slow_down_invoke(decision))
            logic = _sanitised(_slow_down(decision), hosts)

    try:
        invoke_response = await app[ADAPTER].process_activity(auth_result, activity, logic)
    except Exception as exc:
        log.exception("turn failed", extra={"error": type(exc).__name__})
        return _error(500, "the bot could not process this activity")
    if invoke_response:
        body = invoke_response.body  # already serialised by ActivityHandler, except for raw models
        payload = body if body is None or isinstance(body, (dict, list, str)) else serializer_helper(body)
        if isinstance(payload, dict) and payload.get("type") == CARD_RESPONSE:
            payload = {**payload, "value": sanitize_card(payload.get("value"), hosts)}
        return web.json_response(payload, status=invoke_response.status)
    return web.Response(status=201)


def _sanitised(logic: Any, hosts: tuple[str, ...]) -> Any:
    """Run the turn with a send hook that neutralises links/images/HTML (LLM05) and withholds any text carrying the
    system-prompt canary (LLM07) in everything the bot sends, streamed chunks included."""

    async def run(turn_context: TurnContext) -> None:
        async def clean(ctx: TurnContext, activities: list[Activity], send: Any) -> list[ResourceResponse]:
            for outgoing in activities:
                sanitize_activity(outgoing, hosts)
                if isinstance(outgoing.text, str) and CANARY in outgoing.text:
                    log.warning("outgoing text withheld: it contained the system-prompt canary")
                    outgoing.text = WITHHELD
            return await send()

        turn_context.on_send_activities(clean)
        await logic(turn_context)

    return run


def _slow_down(decision: Decision) -> Any:
    async def reply(turn_context: TurnContext) -> None:
        await turn_context.send_activity(SLOW_DOWN.format(seconds=decision.retry_after_s))

    return reply


def _slow_down_invoke(decision: Decision) -> dict[str, Any]:
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
            "value": SLOW_DOWN.format(seconds=decision.retry_after_s)}


def _parse_activity(body: Any) -> Activity | None:
    if not isinstance(body, dict):
        return None
    try:
        activity = parse_activity(body)  # msrest's Activity().deserialize(body), without its per-call overhead
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
        await ping(request.app[ENGINE])
    except Exception as exc:
        log.warning("health check failed", extra={"error": type(exc).__name__})
        return web.json_response({"status": "unavailable", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "up"})


# GET /calendar/{token}.ics: a local-mode event as an RFC 5545 file. The token is the only credential (the link is
# opened from a Teams card in a browser, outside the bot's authentication): unguessable, bound to the event and
# its organiser, expiring. Unknown, tampered, expired and cancelled all answer the same 404.
ics_routes = web.RouteTableDef()

ICS_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@ics_routes.get(r"/calendar/{token:[A-Za-z0-9._-]{1,200}}.ics")
async def event_ics(request: web.Request) -> web.Response:
    body = await request.app[EVENTS].ics(request.match_info["token"])
    if body is None:
        return web.json_response({"error": "not found"}, status=404, headers=ICS_HEADERS)
    return web.Response(body=body, content_type="text/calendar", charset="utf-8", headers={
        **ICS_HEADERS, "Content-Disposition": 'attachment; filename="event.ics"'})


# GET /knowledge/files/{token}: the original file of an uploaded document, from a citation's link. The token is the
# only credential (the link opens in a browser, outside the bot's authentication): signed, bound to the document's
# current version and to the staff member it was issued to, expiring (knowledge.files). Unknown, tampered, expired
# and replaced all answer the same 404.
document_routes = web.RouteTableDef()

DOCUMENT_HEADERS = {**ICS_HEADERS, "Content-Security-Policy": "default-src 'none'; sandbox"}


@document_routes.get(r"/knowledge/files/{token:[A-Za-z0-9._-]{1,200}}")
async def document_file(request: web.Request) -> web.Response:
    files = request.app.get(KNOWLEDGE_FILES)
    found = await files.open(request.match_info["token"]) if files is not None else None
    if found is None:
        return web.json_response({"error": "not found"}, status=404, headers=DOCUMENT_HEADERS)
    safe_name = "".join(c if c.isalnum() or c in "._- " else "_" for c in found.file_name)[:150] or "document"
    disposition = "inline" if found.media_type == "application/pdf" else "attachment"
    return web.Response(body=found.data, headers={
        **DOCUMENT_HEADERS, "Content-Type": found.media_type,
        "Content-Disposition": f'{disposition}; filename="{safe_name}"'})


# GET /messages/{token}.eml and /messages/{token}/mailto: one guardian's message home when Graph isn't configured,
# as an .eml file for the teacher's mail app, or as a redirect to a mailto: link (so the card carries no address).
# The token is the only credential: signed, bound to the recipient row and the sender, expiring
# (domain.messages_home.delivery.MessageLinks). Unknown, tampered and expired all answer the same 404.
message_routes = web.RouteTableDef()


@message_routes.get(r"/messages/{token:[A-Za-z0-9._-]{1,200}}.eml")
async def message_eml(request: web.Request) -> web.Response:
    service = request.app.get(MESSAGES_HOME)
    found = await service.open_eml(request.match_info["token"]) if service is not None else None
    if found is None:
        return web.json_response({"error": "not found"}, status=404, headers=ICS_HEADERS)
    return web.Response(body=found[0], headers={
        **ICS_HEADERS, "Content-Type": "message/rfc822", "Content-Disposition": 'attachment; filename="message.eml"'})


@message_routes.get(r"/messages/{token:[A-Za-z0-9._-]{1,200}}/mailto")
async def message_mailto(request: web.Request) -> web.Response:
    service = request.app.get(MESSAGES_HOME)
    found = await service.open_eml(request.match_info["token"]) if service is not None else None
    if found is None:
        return web.json_response({"error": "not found"}, status=404, headers=ICS_HEADERS)
    return web.Response(status=302, headers={**ICS_HEADERS, "Location": found[1]})

