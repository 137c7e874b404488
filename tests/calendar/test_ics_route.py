"""GET /calendar/{token}.ics on a bare aiohttp app with the route table: 200 with the file, 404 for the rest."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.routes import EVENTS, ics_routes
from domain.actor import Actor
from domain.events import EventService, validate_draft
from tests.support.calendar import CHICAGO, NOW, Clock


async def test_the_route_serves_the_file_and_hides_everything_else(local_events: EventService, alex: Actor,
                                                                    link_clock: Clock) -> None:
    draft = validate_draft({"title": "Parent meeting", "start": datetime(2026, 11, 25, 15, 30, tzinfo=CHICAGO),
                            "duration_minutes": 30, "time_zone": "America/Chicago"}, NOW)
    saved = await local_events.create(alex, draft, local_events.new_key(), via="test")
    path = "/calendar/" + saved.ics_url.rsplit("/calendar/", 1)[1]  # type: ignore[union-attr]
    app = web.Application()
    app[EVENTS] = local_events
    app.add_routes(ics_routes)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            async def get(p: str) -> tuple[int, Any, bytes]:
                async with http.get(str(server.make_url(p))) as r:
                    return r.status, r.headers, await r.read()

            status, headers, body = await get(path)
            assert status == 200 and headers["Content-Type"] == "text/calendar; charset=utf-8"
            assert headers["Cache-Control"] == "private, no-store" and b"SUMMARY:Parent meeting" in body
            refused = [await get("/calendar/nonsense.ics"), await get(path.replace(".ics", "0.ics"))]
            link_clock.advance(timedelta(hours=73))
            refused.append(await get(path))
            for status, _, body in refused:  # a 404 with no event data: no title, time, VEVENT or calendar type
                assert status == 404
                assert b"Parent meeting" not in body and b"VEVENT" not in body and b"20261125" not in body, body
    finally:
        await server.close()
