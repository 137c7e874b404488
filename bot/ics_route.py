"""GET /calendar/{token}.ics: a local-mode event as an RFC 5545 file. The token is the only credential (the link
is opened from a Teams card in a browser, outside the bot's authentication): unguessable, bound to the event and
its organiser, expiring. Unknown, tampered, expired and cancelled all answer the same 404."""

from __future__ import annotations

from aiohttp import web

from domain.events import EventService

EVENTS = web.AppKey("events", EventService)

ics_routes = web.RouteTableDef()

HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@ics_routes.get(r"/calendar/{token:[A-Za-z0-9._-]{1,200}}.ics")
async def event_ics(request: web.Request) -> web.Response:
    body = await request.app[EVENTS].ics(request.match_info["token"])
    if body is None:
        return web.json_response({"error": "not found"}, status=404, headers=HEADERS)
    return web.Response(body=body, content_type="text/calendar", charset="utf-8", headers={
        **HEADERS, "Content-Disposition": 'attachment; filename="event.ics"'})
