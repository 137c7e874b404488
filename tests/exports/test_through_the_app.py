"""Exports through the real app over HTTP (real PostgreSQL and Valkey, the fake Bot Connector, the offline planner):
the widget card's Download buttons, the signed link, Teams' file-consent flow against a fake OneDrive upload URL
(a loopback aiohttp server receiving the PUT), shared conversations, and a chat request routed to export_data."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.cards.export_ready import FILE_CONSENT, FILE_INFO
from bot.channel.file_consent import DECLINED, GONE, NOT_UPLOADED, UPLOADED
from bot.channel.shared_conversations import SENT_PRIVATELY
from devtools.fakes.activities import ALEX, BOT_ID, ISAIAH, TENANT, activity
from devtools.fakes.connector import FakeConnector
from devtools.fakes.onedrive_upload import FakeUploadSession
from domain.models import AuditLog, Enrollment, Incident, SchoolClass, Staff, Student
from tests.support.app_client import BotClient

CARD = "application/vnd.microsoft.card.adaptive"
GROUP_CHAT = "19:5e1c0d2b7a9f4e3c@thread.v2"


@pytest.fixture
async def onedrive() -> AsyncIterator[FakeUploadSession]:
    fake = await FakeUploadSession().start()
    yield fake
    await fake.close()


def cards(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["content"] for a in message.get("attachments") or [] if a.get("contentType") == CARD]


def consent_of(message: dict[str, Any]) -> dict[str, Any]:
    found = [a for a in message.get("attachments") or [] if a.get("contentType") == FILE_CONSENT]
    assert len(found) == 1, message.get("attachments")
    return found[0]


def link_of(message: dict[str, Any]) -> str:
    urls = [a["url"] for c in cards(message) for a in c.get("actions", []) if a.get("type") == "Action.OpenUrl"]
    assert len(urls) == 1
    return urlsplit(urls[0]).path


def press(connector: FakeConnector, data: dict[str, Any], *, aad: str = ALEX, **extra: Any) -> dict[str, Any]:
    """A card's Action.Submit: a message whose value is the button's data."""
    return activity(connector.url, aad=aad, value=data, **extra)


async def download(client: BotClient, path: str) -> tuple[int, bytes, dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.get(str(client.server.make_url(path))) as response:
        return response.status, await response.read(), dict(response.headers)


async def widget_card(client: BotClient, connector: FakeConnector, text: str, **extra: Any) -> dict[str, Any]:
    status, _ = await client.post(activity(connector.url, text=text, aad=ALEX, **extra))
    assert status in (200, 201)
    return cards(connector.messages()[-1])[0]


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    return next(a["data"] for a in card["actions"] if a["title"] == title)


def consent_invoke(connector: FakeConnector, attachment: dict[str, Any], action: str, upload_url: str, *,
                   aad: str = ALEX) -> dict[str, Any]:
    context = attachment["content"]["acceptContext" if action == "accept" else "declineContext"]
    value: dict[str, Any] = {"type": "fileUpload", "action": action, "context": context}
    if action == "accept":
        value["uploadInfo"] = {"name": attachment["name"], "uploadUrl": upload_url,
                               "contentUrl": f"https://contoso-my.sharepoint.com/personal/alexw/Documents/"
                                             f"Applications/Faraday/{attachment['name']}",
                               "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D", "fileType": "csv"}
    return activity(connector.url, type="invoke", name="fileConsent/invoke", value=value, aad=aad)


async def test_a_widget_card_has_download_buttons_that_deliver_the_csv_by_signed_link(app, connector) -> None:  # type: ignore[no-untyped-def]
    card = await widget_card(app, connector, "who's been missing class in period 3")
    assert [a["title"] for a in card["actions"]] == ["Download CSV", "Download Excel", "Download PDF"]
    status, _ = await app.post(press(connector, button(card, "Download CSV")))
    assert status in (200, 201)
    reply = connector.messages()[-1]
    assert cards(reply)[0]["body"][0]["text"].startswith("CSV ready: Attendance")
    status, body, headers = await download(app, link_of(reply))
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Cache-Control"] == "private, no-store" and "attachment" in headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode())))
    table = next(e for e in card["body"] if e["type"] == "Table")
    shown = [[c["items"][0]["text"] for c in row["cells"]] for row in table["rows"]]
    assert rows[: len(shown)] == shown  # the card's header and rows, then the rest the card trimmed


async def test_the_pdf_button_gives_the_card_as_a_pdf(app, connector) -> None:  # type: ignore[no-untyped-def]
    card = await widget_card(app, connector, "who's been missing class in period 3")
    await app.post(press(connector, button(card, "Download PDF")))
    status, body, headers = await download(app, link_of(connector.messages()[-1]))
    text = " ".join(PdfReader(io.BytesIO(body)).pages[0].extract_text().split())
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert "Attendance" in text and "PE 7 — Period 3" in text and "Audit reference A-" in text


async def test_a_tampered_or_unknown_link_answers_404(app, connector) -> None:  # type: ignore[no-untyped-def]
    card = await widget_card(app, connector, "who's been missing class in period 3")
    await app.post(press(connector, button(card, "Download Excel")))
    path = link_of(connector.messages()[-1])
    status, body, _ = await download(app, path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert status == 404 and b"Student" not in body
    assert (await download(app, "/exports/x1.1.1.nonce-nonce.abc"))[0] == 404
    status, body, _ = await download(app, path)
    assert status == 200 and openpyxl.load_workbook(io.BytesIO(body)).worksheets[1].title == "About"


async def consent_downloads(client: BotClient, sessions_for: Any) -> list[tuple[str, bool]]:
    async with sessions_for(client)() as s:
        rows = (await s.execute(select(AuditLog.conversation_type, AuditLog.allowed)
                                .where(AuditLog.action == "export.download", AuditLog.via == "file_consent"))).all()
    return [(kind, allowed) for kind, allowed in rows]


async def test_allowing_the_file_consent_card_puts_the_bytes_to_the_upload_url_and_posts_a_file_card(app, connector, onedrive, demo_sessions_for) -> None:  # type: ignore[no-untyped-def]
    card = await widget_card(app, connector, "who's been missing class in period 3")
    await app.post(press(connector, button(card, "Download CSV")))
    reply = connector.messages()[-1]
    consent = consent_of(reply)
    assert consent["content"]["sizeInBytes"] > 0 and consent["name"].endswith(".csv")
    _, expected, _ = await download(app, link_of(reply))
    status, _ = await app.post(consent_invoke(connector, consent, "accept", onedrive.url(consent["name"])))
    assert status == 200
    [upload] = onedrive.uploads
    assert upload.body == expected
    assert upload.content_range == f"bytes 0-{len(expected) - 1}/{len(expected)}"
    assert upload.content_length == str(len(expected))
    done = connector.messages()[-1]
    assert done["text"] == UPLOADED
    [info] = done["attachments"]
    assert info["contentType"] == FILE_INFO and info["name"] == consent["name"]
    assert info["contentUrl"].startswith("https://contoso-my.sharepoint.com/")
    assert info["content"] == {"uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D", "fileType": "csv"}
    assert await consent_downloads(app, demo_sessions_for) == [("personal", True)]  # the hand-over is audited


async def test_declining_uploads_nothing_and_says_so(app, connector, onedrive, demo_sessions_for) -> None:  # type: ignore[no-untyped-def]
    card = await widget_card(app, connector, "who's been missing class in period 3")
    await app.post(press(connector, button(card, "Download CSV")))
    consent = consent_of(connector.messages()[-1])
    status, _ = await app.post(consent_invoke(connector, consent, "decline", ""))
    assert status == 200 and onedrive.uploads == []
    assert connector.messages()[-1]["text"].startswith(DECLINED.split("{")[0])
    assert await consent_downloads(app, demo_sessions_for) == []  # the file was not read for anyone


async def test_another_teacher_allowing_the_card_uploads_nothing(app, connector, onedrive, demo_sessions_for) -> None:  # type: ignore[no-untyped-def]
    card = await widget_card(app, connector, "who's been missing class in period 3")
    await app.post(press(connector, button(card, "Download CSV")))
    consent = consent_of(connector.messages()[-1])
    status, _ = await app.post(consent_invoke(connector, consent, "accept", onedrive.url("x.csv"), aad=ISAIAH))
    assert status == 200 and onedrive.uploads == []
    assert connector.messages()[-1]["text"] == GONE
    async with demo_sessions_for(app)() as s:
        refused = (await s.execute(select(AuditLog.reason).where(AuditLog.action == "export.download",
                                                                 AuditLog.allowed.is_(False)))).scalars().all()
    assert refused == ["made for another staff member"]


async def test_an_upload_url_outside_onedrive_gets_no_student_data(app, connector, onedrive) -> None:  # type: ignore[no-untyped-def]
    card = await widget_card(app, connector, "who's been missing class in period 3")
    await app.post(press(connector, button(card, "Download CSV")))
    consent = consent_of(connector.messages()[-1])
    status, _ = await app.post(consent_invoke(connector, consent, "accept", "https://uploads.example.net/put"))
    assert status == 200 and connector.messages()[-1]["text"] == NOT_UPLOADED.format(name=consent["name"])
    onedrive.fail_with = 500  # OneDrive refusing the bytes: said so, the link still works
    status, _ = await app.post(consent_invoke(connector, consent, "accept", onedrive.url("x.csv")))
    assert status == 200 and len(onedrive.uploads) == 1
    assert connector.messages()[-1]["text"] == NOT_UPLOADED.format(name=consent["name"])


async def test_a_download_pressed_in_a_group_chat_goes_to_the_presser_s_private_chat(app, connector, demo_sessions_for) -> None:  # type: ignore[no-untyped-def]
    await app.post(activity(connector.url, text="hi", aad=ALEX))  # Alex's 1:1 chat is known
    group = {"conversation": {"isGroup": True, "conversationType": "groupChat", "tenantId": TENANT,
                              "id": GROUP_CHAT}, "channelData": {"tenant": {"id": TENANT}}}
    mention = {"entities": [{"type": "mention", "text": "<at>Faraday</at>",
                             "mentioned": {"id": f"28:{BOT_ID}", "name": "Faraday"}}]}
    # equipment figures name no student, so the card is posted in the open with its Download buttons
    body = activity(connector.url, text="<at>Faraday</at> any equipment overdue for inspection", aad=ALEX,
                    **mention)
    body.update(json.loads(json.dumps(group)))
    await app.post(body)
    open_card = cards([m for m in connector.messages(GROUP_CHAT)][-1])[0]
    pressed = activity(connector.url, aad=ALEX, value=button(open_card, "Download CSV"))
    pressed.update(json.loads(json.dumps(group)))
    status, _ = await app.post(pressed)
    assert status in (200, 201)
    assert connector.messages(GROUP_CHAT)[-1]["text"] == SENT_PRIVATELY
    assert not any(a.get("contentType") == FILE_CONSENT or "/exports/" in json.dumps(a)
                   for m in connector.messages(GROUP_CHAT) for a in m.get("attachments") or [])
    private = connector.messages(f"a:personal-{ALEX}")[-1]
    assert consent_of(private)["name"].endswith(".csv") and link_of(private).startswith("/exports/")
    async with demo_sessions_for(app)() as s:
        where = await s.scalar(select(AuditLog.conversation_type).where(AuditLog.action == "export.create"))
    assert where == "groupChat"  # the audit keeps where the export was asked for


async def test_asking_in_chat_for_a_spreadsheet_routes_to_the_export(app, connector) -> None:  # type: ignore[no-untyped-def]
    status, _ = await app.post(activity(connector.url, text="export the period 3 attendance to a spreadsheet",
                                        aad=ALEX))
    assert status in (200, 201)
    reply = connector.messages()[-1]
    assert "file ready" in reply["text"] and consent_of(reply)["name"].endswith(".xlsx")
    status, body, _ = await download(app, link_of(reply))
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert status == 200 and next(book.worksheets[0].iter_rows(values_only=True))[0] == "Student"


async def test_a_saved_incidents_pdf_button_gives_its_one_page_report(app, connector, demo_sessions_for) -> None:  # type: ignore[no-untyped-def]
    async with demo_sessions_for(app)() as s:
        incident_id, name = (await s.execute(
            select(Incident.id, Student.first_name).join(Student, Student.id == Incident.student_id)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .join(SchoolClass, SchoolClass.id == Enrollment.class_id).join(Staff, Staff.id == SchoolClass.teacher_id)
            .where(Staff.aad_object_id == ALEX).order_by(Incident.id).limit(1))).one()  # about one of Alex's
    await app.post(press(connector, {"action": "export.incident", "incident_id": incident_id}))
    reply = connector.messages()[-1]
    status, body, _ = await download(app, link_of(reply))
    reader = PdfReader(io.BytesIO(body))
    assert status == 200 and len(reader.pages) == 1
    assert f"#{incident_id}" in reader.pages[0].extract_text() and name in reader.pages[0].extract_text()


async def test_a_stale_or_malformed_download_button_changes_nothing(app, connector, demo_sessions_for) -> None:  # type: ignore[no-untyped-def]
    for data in ({"action": "export.widget", "widget": "nope", "on": "2026-11-20", "format": "csv"},
                 {"action": "export.widget", "widget": "attendance", "on": "not a day", "format": "csv"},
                 {"action": "export.widget", "widget": "attendance", "on": "2026-11-20", "format": "docx"},
                 {"action": "export.incident", "incident_id": "1; drop table"}):
        status, _ = await app.post(press(connector, data))
        assert status in (200, 201)
        assert "/exports/" not in json.dumps(connector.messages()[-1])
    async with demo_sessions_for(app)() as s:
        assert await s.scalar(select(AuditLog.id).where(AuditLog.action == "export.create")) is None
