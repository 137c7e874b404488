"""An admin sends a markdown file in a 1:1 chat, through the real app: a Teams file-download attachment is fetched
from a file server on loopback (standing in for SharePoint's pre-authorised link), previewed on a card, added with
the card's button, and then answers a question with a citation. Teachers are refused before any download; links to
other hosts and redirects are not followed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from devtools.fakes.activities import ALEX, MEGAN, activity
from devtools.fakes.connector import FakeConnector
from tests.support.app_client import BotClient
from tests.support.knowledge import markdown

FILE_INFO = "application/vnd.microsoft.teams.file.download.info"


class FileServer:
    def __init__(self) -> None:
        self.requests: list[str] = []
        app = web.Application()
        app.router.add_get("/files/{name}", self._file)
        app.router.add_get("/moved", self._moved)
        self.server = TestServer(app, host="127.0.0.1")

    async def _file(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.Response(body=markdown(), content_type="text/markdown")

    async def _moved(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        raise web.HTTPFound("/files/elsewhere.md")

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def files() -> AsyncIterator[FileServer]:
    server = FileServer()
    await server.server.start_server()
    yield server
    await server.server.close()


def _file_message(connector: FakeConnector, url: str, *, aad: str,
                  name: str = "Rope Swing Closure.md") -> dict[str, Any]:
    attachment = {"contentType": FILE_INFO, "contentUrl": url, "name": name,
                  "content": {"downloadUrl": url, "uniqueId": "1f0c6d3e-synthetic", "fileType": "md"}}
    return activity(connector.url, aad=aad, attachments=[attachment])


async def test_an_admin_adds_a_sent_markdown_file_and_faraday_then_cites_it(
    full_bot: BotClient, connector: FakeConnector, files: FileServer
) -> None:
    await full_bot.post(_file_message(connector, files.url("/files/rope.md"), aad=MEGAN))
    reply = connector.messages()[-1]
    card = reply["attachments"][0]["content"]
    shown = json.dumps(card)
    assert "Add to the knowledge base?" in shown and "Rope Swing Closure" in shown
    assert files.requests == ["/files/rope.md"]
    add = next(a for a in card["actions"] if a["verb"] == "knowledge.add")
    press = activity(connector.url, type="invoke", name="adaptiveCard/action", aad=MEGAN,
                     value={"action": {"type": "Action.Execute", "verb": add["verb"], "data": add["data"]}})
    status, body = await full_bot.post(press)
    assert status == 200 and "Added “Rope Swing Closure” (version 1.0)" in json.dumps(body, ensure_ascii=False)

    question = "What is the protocol for the rope swing anchor bolts?"
    await full_bot.post(activity(connector.url, aad=ALEX, text=question))
    answer = connector.messages()[-1]
    assert "anchor bolts" in answer["text"] and "Rope Swing Closure" in json.dumps(answer)

    await full_bot.post(activity(connector.url, aad=MEGAN, text="uploaded documents"))
    assert "rope-swing-closure" in json.dumps(connector.messages()[-1])
    await full_bot.post(activity(connector.url, aad=MEGAN, text="remove document rope-swing-closure"))
    confirm = connector.messages()[-1]["attachments"][0]["content"]
    remove = next(a for a in confirm["actions"] if a["verb"] == "knowledge.remove")
    press = activity(connector.url, type="invoke", name="adaptiveCard/action", aad=MEGAN,
                     value={"action": {"type": "Action.Execute", "verb": remove["verb"], "data": remove["data"]}})
    status, body = await full_bot.post(press)
    assert status == 200 and "Removed “rope-swing-closure” and its 2 sections" in json.dumps(body, ensure_ascii=False)
    await full_bot.post(activity(connector.url, aad=ALEX, text=question))
    assert "Rope Swing Closure" not in json.dumps(connector.messages()[-1])


async def test_a_teacher_is_refused_before_anything_is_downloaded_and_cannot_run_document_commands(
    bot: BotClient, connector: FakeConnector, files: FileServer
) -> None:
    await bot.post(_file_message(connector, files.url("/files/rope.md"), aad=ALEX))
    assert "Only administrators" in connector.messages()[-1]["text"] and files.requests == []
    for command in ("uploaded documents", "remove document concussion-recognition"):
        await bot.post(activity(connector.url, aad=ALEX, text=command))
        reply = connector.messages()[-1]
        assert "Only administrators" in reply["text"] and not reply.get("attachments")


@pytest.mark.parametrize(
    ("where", "said"),
    [("https://files.example.net/rope.md", "doesn't come from Teams"), ("/moved", "couldn't download")],
)
async def test_links_elsewhere_and_redirects_are_not_followed(
    bot: BotClient, connector: FakeConnector, files: FileServer, where: str, said: str
) -> None:
    url = where if where.startswith("https:") else files.url(where)
    await bot.post(_file_message(connector, url, aad=MEGAN))
    assert said in connector.messages()[-1]["text"]
    assert files.requests == ([] if where.startswith("https:") else ["/moved"])


async def test_a_non_markdown_file_is_refused_by_its_name_without_a_download(
    bot: BotClient, connector: FakeConnector, files: FileServer
) -> None:
    await bot.post(_file_message(connector, files.url("/files/report.pdf"), aad=MEGAN, name="report.pdf"))
    assert "only add markdown" in connector.messages()[-1]["text"] and files.requests == []
