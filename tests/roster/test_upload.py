"""An admin sends a roster .zip in a 1:1 chat, through the real app: the preview card shows the dry run's counts,
Apply runs the import once, Cancel and invalid files change nothing, teachers are refused before any download."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from devtools.fakes.activities import ALEX, MEGAN, activity
from domain.models import AuditLog, Staff
from tests.roster.conftest import FIXTURES, snapshot
from tests.support.app_client import bot_settings, serving

FILE_INFO = "application/vnd.microsoft.teams.file.download.info"


def zipped(folder: str, *, drop: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted((FIXTURES / folder).iterdir()):
            if file.name != drop:
                archive.write(file, file.name)
    return buffer.getvalue()


class ZipServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        app = web.Application()
        app.router.add_get("/files/{name}", self._file)
        self.server = TestServer(app, host="127.0.0.1")

    async def _file(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.Response(body=self.files[request.match_info["name"]], content_type="application/zip")

    def message(self, connector_url: str, name: str, *, aad: str) -> dict[str, Any]:
        url = str(self.server.make_url(f"/files/{name}"))
        attachment = {"contentType": FILE_INFO, "contentUrl": url, "name": name,
                      "content": {"downloadUrl": url, "uniqueId": "synthetic", "fileType": "zip"}}
        return activity(connector_url, aad=aad, attachments=[attachment])


@pytest.fixture
async def zips() -> AsyncIterator[ZipServer]:
    server = ZipServer()
    await server.server.start_server()
    yield server
    await server.server.close()


def press(connector_url: str, action: dict[str, Any], aad: str) -> dict[str, Any]:
    return activity(connector_url, type="invoke", name="adaptiveCard/action", aad=aad,
                    value={"action": {"type": "Action.Execute", "verb": action["verb"], "data": action["data"]}})


async def test_an_admin_previews_then_applies_a_sent_roster_once(demo_db_url, redis_url, connector, sessions, zips):
    zips.files["lakeview.zip"] = zipped("handmade_oneroster_1_2")
    before = await snapshot(sessions)
    async with serving(bot_settings(demo_db_url, redis_url), connector) as bot:
        await bot.post(zips.message(connector.url, "lakeview.zip", aad=MEGAN))
        card = connector.messages()[-1]["attachments"][0]["content"]
        shown = json.dumps(card)
        assert "Import this roster?" in shown and "oneroster-1.2" in shown
        assert "3 new, 0 updated, 0 deactivated, 0 unchanged" in shown  # staff, classes, students
        assert await snapshot(sessions) == before  # the preview wrote no roster row (only the held upload)
        apply = next(a for a in card["actions"] if a["verb"] == "roster.apply")
        status, body = await bot.post(press(connector.url, apply, MEGAN))
        assert status == 200 and "Roster imported." in json.dumps(body)
        status, again = await bot.post(press(connector.url, apply, MEGAN))
        assert "already applied or cancelled" in json.dumps(again)
    async with sessions() as session:
        imported = await session.scalar(select(func.count()).select_from(Staff).where(Staff.source_id.is_not(None)))
        audits = (await session.execute(select(AuditLog).where(AuditLog.action == "roster.import"))).scalars().all()
    assert imported == 3
    assert [(a.allowed, a.reason) for a in audits] == [(True, "oneroster-1.2")]


async def test_an_invalid_roster_shows_its_errors_and_offers_no_apply(demo_db_url, redis_url, connector, sessions,
                                                                      zips):
    zips.files["broken.zip"] = zipped("sds_v1_100_users", drop="TeacherRoster.csv")
    before = await snapshot(sessions)
    async with serving(bot_settings(demo_db_url, redis_url), connector) as bot:
        await bot.post(zips.message(connector.url, "broken.zip", aad=MEGAN))
    reply = connector.messages()[-1]
    card = reply["attachments"][0]["content"]
    assert "required file TeacherRoster.csv is missing" in json.dumps(card)
    assert "actions" not in card or not card["actions"]
    assert await snapshot(sessions) == before


async def test_cancel_imports_nothing_and_a_teacher_is_refused_before_any_download(
        demo_db_url, redis_url, connector, sessions, zips):
    zips.files["lakeview.zip"] = zipped("handmade_oneroster_1_2")
    async with serving(bot_settings(demo_db_url, redis_url), connector) as bot:
        await bot.post(zips.message(connector.url, "lakeview.zip", aad=ALEX))
        assert connector.messages()[-1]["text"] == "Only administrators can import a roster."
        assert zips.requests == []
        await bot.post(zips.message(connector.url, "lakeview.zip", aad=MEGAN))
        card = connector.messages()[-1]["attachments"][0]["content"]
        cancel = next(a for a in card["actions"] if a["verb"] == "roster.cancel")
        apply = next(a for a in card["actions"] if a["verb"] == "roster.apply")
        await bot.post(press(connector.url, cancel, MEGAN))
        _, after_cancel = await bot.post(press(connector.url, apply, MEGAN))
    assert "already applied or cancelled" in json.dumps(after_cancel)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Staff).where(Staff.source_id.is_not(None))) == 0
