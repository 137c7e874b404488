"""Through the real app over HTTP (fake Bot Connector, real Postgres): open the event form, fix an error, save
twice, download the .ics from the bot's own route."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import icalendar
from sqlalchemy import func, select

from devtools.fakes.activities import activity
from domain.db import make_engine
from domain.models import CalendarEvent
from tests.support.app_client import BotClient


def _invoke(bot: BotClient, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    return activity(bot.connector.url, type="invoke", name="adaptiveCard/action",
                    value={"action": {"type": "Action.Execute", "verb": verb, "data": data}})


async def _rows(url: str) -> int:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(CalendarEvent)))
    finally:
        await engine.dispose()


async def test_the_event_form_round_trip_and_the_ics_download(bot: BotClient, demo_db_url: str) -> None:
    status, opened = await bot.post(_invoke(bot, "event.form", {"action": "event.form"}))
    assert status == 200 and opened["type"] == "application/vnd.microsoft.card.adaptive"
    form = opened["value"]
    save = next(a for a in form["actions"] if a.get("verb") == "event.save")["data"]
    bad = save | {"title": "Fitness testing", "date": "2020-01-01", "time": "09:00", "duration": "60"}
    status, again = await bot.post(_invoke(bot, "event.save", bad))
    assert status == 200 and "already passed" in str(again["value"]) and await _rows(demo_db_url) == 0
    good = bad | {"date": (datetime.now(ZoneInfo("America/Chicago")) + timedelta(days=14)).date().isoformat()}
    _, saved = await bot.post(_invoke(bot, "event.save", good))
    _, twice = await bot.post(_invoke(bot, "event.save", good))
    assert "Event saved" in str(saved["value"]) and "Event saved" in str(twice["value"])
    assert await _rows(demo_db_url) == 1
    url = next(a for a in saved["value"]["actions"] if a["type"] == "Action.OpenUrl")["url"]
    path = "/calendar/" + url.rsplit("/calendar/", 1)[1]
    async with aiohttp.ClientSession() as http:
        async with http.get(str(bot.server.make_url(path))) as response:
            assert response.status == 200 and response.content_type == "text/calendar"
            event = next(iter(icalendar.Calendar.from_ical(await response.read()).walk("VEVENT")))
            assert str(event["SUMMARY"]) == "Fitness testing"
        async with http.get(str(bot.server.make_url(path.replace(".ics", "x.ics")))) as response:
            assert response.status == 404
