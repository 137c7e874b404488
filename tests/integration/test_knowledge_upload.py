"""An admin sends a markdown or PDF file in a 1:1 chat, through the real app: a Teams file-download attachment is
fetched from a file server on loopback (standing in for SharePoint's pre-authorised link), previewed on a card, added
with the card's button (with the card's metadata, errors per field), and then answers a question with a citation (a
PDF's with its page and a signed link to the file). Teachers are refused before any download; links to
other hosts and redirects are not followed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from bench.documents import render_pdf
from devtools.fakes.activities import ALEX, MEGAN, activity
from devtools.fakes.connector import FakeConnector
from domain.db import make_engine
from tests.support.app_client import BotClient
from tests.support.documents import pdf_image_only
from tests.support.knowledge import markdown

FILE_INFO = "application/vnd.microsoft.teams.file.download.info"
ROPE_PDF = render_pdf("Rope Swing Closure", [
    ("Status", "Pool rope swings are closed until the anchor bolts are re-tested by the district's contractor."),
    ("Who to Ask", "The athletics director approves reopening after the inspection report."),
])


class FileServer:
    def __init__(self) -> None:
        self.requests: list[str] = []
        app = web.Application()
        app.router.add_get("/files/{name}", self._file)
        app.router.add_get("/moved", self._moved)
        self.server = TestServer(app, host="127.0.0.1")

    async def _file(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        if request.path.endswith("scan.pdf"):
            return web.Response(body=pdf_image_only(), content_type="application/pdf")
        if request.path.endswith(".pdf"):
            return web.Response(body=ROPE_PDF, content_type="application/pdf")
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


@pytest.mark.parametrize(("name", "said"), [("report.docm", "macro-enabled"), ("photo.png", "aren't supported")])
async def test_a_macro_enabled_or_unsupported_file_is_refused_by_its_name_without_a_download(
    bot: BotClient, connector: FakeConnector, files: FileServer, name: str, said: str
) -> None:
    await bot.post(_file_message(connector, files.url(f"/files/{name}"), aad=MEGAN, name=name))
    assert said in connector.messages()[-1]["text"] and files.requests == []


def _press(connector: FakeConnector, action: dict[str, Any], inputs: dict[str, str]) -> dict[str, Any]:
    """Action.Execute sends the card's inputs merged into the button's data."""
    return activity(connector.url, type="invoke", name="adaptiveCard/action", aad=MEGAN,
                    value={"action": {"type": "Action.Execute", "verb": action["verb"],
                                      "data": {**action["data"], **inputs}}})


async def test_an_admin_adds_a_sent_pdf_with_metadata_from_the_card_and_answers_cite_its_page_and_file(
    full_bot: BotClient, connector: FakeConnector, files: FileServer
) -> None:
    await full_bot.post(_file_message(connector, files.url("/files/rope.pdf"), aad=MEGAN, name="Rope Swings.pdf"))
    card = connector.messages()[-1]["attachments"][0]["content"]
    inputs = {e["id"]: e.get("value", "") for e in card["body"] if str(e.get("type", "")).startswith("Input.")}
    assert set(inputs) == {"title", "kind", "audience", "grade_band", "version", "reviewed_by", "reviewed_on"}
    assert (inputs["title"], inputs["reviewed_by"]) == ("Rope Swing Closure", "Megan Bowen")  # guessed defaults
    assert inputs["kind"] in ("safety", "curriculum", "policy") and inputs["version"] == "1.0"
    shown = json.dumps(card)
    assert "Pages" in shown and "Status, Who to Ask" in shown and "Pool rope swings are closed" in shown

    add = next(a for a in card["actions"] if a["verb"] == "knowledge.add")
    status, body = await full_bot.post(_press(connector, add, inputs | {"grade_band": "6 to 8", "kind": "rumour"}))
    again = body["value"]  # the same card, an error under each bad field, nothing added
    texts = [e.get("text", "") for e in again["body"]]
    assert status == 200 and any(t.startswith("Grade band must look like") for t in texts)
    assert any(t.startswith("Kind must be one of") for t in texts)
    assert next(e for e in again["body"] if e.get("id") == "grade_band")["value"] == "6 to 8"
    await full_bot.post(activity(connector.url, aad=ALEX, text="What is the rule for the rope swing anchor bolts?"))
    assert "Rope Swing Closure" not in json.dumps(connector.messages()[-1])

    good = inputs | {"kind": "safety", "grade_band": "6-12", "version": "3.1"}
    status, body = await full_bot.post(_press(connector, add, good))
    assert status == 200 and "Added “Rope Swing Closure” (version 3.1)" in json.dumps(body, ensure_ascii=False)
    await full_bot.post(activity(connector.url, aad=ALEX, text="What is the rule for the rope swing anchor bolts?"))
    answer = connector.messages()[-1]
    assert "Rope Swing Closure, §Status, p. 1" in answer["text"]
    claims = [c for e in answer.get("entities", []) for c in e.get("citation") or []]
    cited = next(c["appearance"] for c in claims if c["appearance"]["name"] == "Rope Swing Closure")
    assert "p. 1" in cited["keywords"] and "/knowledge/files/" in cited["url"]
    path = "/knowledge/files/" + cited["url"].rsplit("/", 1)[1]
    async with aiohttp.ClientSession() as http, http.get(str(full_bot.server.make_url(path))) as response:
        assert response.status == 200 and response.content_type == "application/pdf"
        assert await response.read() == ROPE_PDF
    async with aiohttp.ClientSession() as http, http.get(str(full_bot.server.make_url(path + "x"))) as response:
        assert response.status == 404


async def test_a_scanned_pdf_is_refused_with_the_reason_and_nothing_is_kept(
    bot: BotClient, connector: FakeConnector, files: FileServer, demo_db_url: str
) -> None:
    await bot.post(_file_message(connector, files.url("/files/scan.pdf"), aad=MEGAN, name="Scanned Policy.pdf"))
    said = connector.messages()[-1]
    assert "Scanned Policy.pdf: no text layer: OCR is not supported" in said["text"] and not said.get("attachments")
    assert files.requests == ["/files/scan.pdf"]
    engine = make_engine(demo_db_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            kept = int((await conn.execute(text("SELECT count(*) FROM knowledge_uploads"))).scalar_one())
    finally:
        await engine.dispose()
    assert kept == 0
