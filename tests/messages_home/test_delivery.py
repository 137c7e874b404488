"""How a message leaves, on real PostgreSQL: as the teacher through Microsoft Graph (the fake Graph over TLS, the real
msal against the local identity platform) by ``sendMail`` or as drafts in their Outlook, or without Graph as an .eml
behind a signed, expiring link with a mailto: link. *Send* pressed twice (or twice at once) sends once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import select

from devtools.fakes.graph import FakeMicrosoft
from domain.actor import Actor
from domain.messages_home.delivery import GraphMail
from domain.messages_home.service import MessageHomeService, MessageRequest
from domain.models import HomeMessage
from tests.support.calendar import Clock, graph_config
from tests.support.messages_home import (
    NOW,
    audit_rows,
    recipients,
    record_incident,
    service,
    student_id,
    two_guardians,
)

ELI = "S109005"


@pytest.fixture
async def eli(demo_sessions: Any, alex: Actor) -> int:
    eli = await student_id(demo_sessions, ELI)
    await two_guardians(demo_sessions, eli)
    await record_incident(demo_sessions, alex, eli)
    return eli


@pytest.fixture
async def outlook(demo_sessions: Any, microsoft: FakeMicrosoft) -> AsyncIterator[MessageHomeService]:
    messages = service(demo_sessions, graph=GraphMail(graph_config(microsoft)), mode="send")
    yield messages
    await messages.close()


@pytest.fixture
async def outlook_drafts(demo_sessions: Any, microsoft: FakeMicrosoft) -> AsyncIterator[MessageHomeService]:
    messages = service(demo_sessions, graph=GraphMail(graph_config(microsoft)), mode="draft")
    yield messages
    await messages.close()


async def _status(sessions: Any, key: str) -> str:
    async with sessions() as session:
        return str(await session.scalar(select(HomeMessage.status).where(HomeMessage.key == key)))


def _by_address(mails: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["toRecipients"][0]["emailAddress"]["address"]: m for m in mails}


async def test_send_goes_out_as_the_teacher_through_graph_sendmail_in_each_guardians_language(
        demo_sessions, alex, eli, outlook, microsoft) -> None:
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert draft.delivery == "graph_send" and draft.languages == {"es": 1, "en": 1}
    assert microsoft.graph_requests() == []  # drafting sends nothing
    outcome = await outlook.send(alex, draft.key, include_health=True, confirmed=None, via="test")
    assert outcome.status == "sent" and outcome.recipients == 2
    assert outcome.sentence == "Sent to 2 guardians from your mailbox."
    mails = _by_address(microsoft.sent_mail)
    assert set(mails) == {"guardian.uno@example.test", "guardian.two@example.test"}
    spanish, english = mails["guardian.uno@example.test"], mails["guardian.two@example.test"]
    assert {m["_user"] for m in mails.values()} == {alex.aad_object_id}  # as the teacher, from their mailbox
    assert spanish["subject"] == "Nota de Educación Física sobre Eli"
    assert spanish["body"]["content"].startswith("Estimado/a Guardian Uno:")
    assert "«Fell on his left wrist during a basketball layup»" in spanish["body"]["content"]  # ticked
    assert english["subject"] == "A note from PE about Eli"
    assert english["body"]["content"].startswith("Dear Guardian Two,") and "left wrist" in english["body"]["content"]
    posts = microsoft.graph_requests("POST")
    assert [p.path for p in posts] == [f"/v1.0/users/{alex.aad_object_id}/sendMail"] * 2
    assert all(p.json["saveToSentItems"] is True for p in posts)
    assert {p.json["message"]["internetMessageHeaders"][0]["value"] for p in posts} == {f"{draft.key}-1",
                                                                                        f"{draft.key}-2"}
    token = microsoft.token_requests()[0].form
    assert token["grant_type"] == "client_credentials" and token["scope"].endswith("/.default")
    assert await _status(demo_sessions, draft.key) == "sent"
    assert [r.status for r in await recipients(demo_sessions)] == ["sent", "sent"]


async def test_send_pressed_twice_sends_once(demo_sessions, alex, eli, outlook, microsoft) -> None:
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    first = await outlook.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    again = await outlook.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert first.status == "sent" and again.status == "already"
    assert again.sentence == "This message was already sent; nothing more was sent."
    assert len(microsoft.sent_mail) == 2 and len(await recipients(demo_sessions)) == 2


async def test_two_presses_at_the_same_moment_send_once(demo_sessions, alex, eli, outlook, microsoft) -> None:
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    outcomes = await asyncio.gather(*[outlook.send(alex, draft.key, include_health=False, confirmed=None, via="test")
                                      for _ in range(2)])
    assert sorted(o.status for o in outcomes) == ["already", "sent"]
    assert len(microsoft.sent_mail) == 2 and len(await recipients(demo_sessions)) == 2


async def test_the_district_can_choose_drafts_in_outlook_instead_of_sending(
        demo_sessions, alex, eli, outlook_drafts, microsoft) -> None:
    draft = await outlook_drafts.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert draft.delivery == "graph_draft"
    outcome = await outlook_drafts.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert outcome.status == "drafted"
    assert outcome.sentence == "Saved as 2 drafts in your Outlook, for 2 guardians: open Drafts to send."
    assert microsoft.sent_mail == [] and len(microsoft.draft_mail) == 2
    saved = _by_address(list(microsoft.draft_mail.values()))
    assert saved["guardian.uno@example.test"]["_user"] == alex.aad_object_id
    assert "wrist" not in saved["guardian.uno@example.test"]["body"]["content"]  # not ticked: no health details
    rows = await recipients(demo_sessions)
    assert {r.external_id for r in rows} == set(microsoft.draft_mail) and {r.status for r in rows} == {"drafted"}
    assert await _status(demo_sessions, draft.key) == "drafted"
    again = await outlook_drafts.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert again.status == "already" and len(microsoft.draft_mail) == 2


async def test_a_refused_send_sends_nothing_keeps_the_draft_and_can_be_pressed_again(
        demo_sessions, alex, eli, outlook, microsoft) -> None:
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    microsoft.fail_next("POST", "sendMail", 403, count=2, code="ErrorAccessDenied")
    refused = await outlook.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert refused.status == "failed" and microsoft.sent_mail == []
    assert "application access policy" in refused.sentence and "Nothing was sent" in refused.sentence
    assert await _status(demo_sessions, draft.key) == "draft"
    assert [r.allowed for r in await audit_rows(demo_sessions, "message_home.send")] == [False]
    fixed = await outlook.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert fixed.status == "sent" and len(microsoft.sent_mail) == 2


async def test_throttling_is_waited_out_within_the_budget(demo_sessions, alex, eli, outlook, microsoft) -> None:
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    microsoft.fail_next("POST", "sendMail", 429, retry_after="0")
    outcome = await outlook.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert outcome.status == "sent" and len(microsoft.sent_mail) == 2
    assert len(microsoft.graph_requests("POST")) == 3


async def test_an_unanswered_send_is_not_sent_again_blindly(demo_sessions, alex, eli, outlook, microsoft) -> None:
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    microsoft.fail_next("POST", "sendMail", 504, count=2)
    outcome = await outlook.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert outcome.status == "partial" and outcome.failed == 2
    assert "may have gone out. Check your Sent Items" in outcome.sentence
    assert {r.status for r in await recipients(demo_sessions)} == {"uncertain"}
    again = await outlook.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert again.status == "already" and len(microsoft.graph_requests("POST")) == 2


async def test_without_graph_each_guardian_gets_an_eml_and_a_mailto_link_behind_a_signed_expiring_link(
        demo_sessions, alex, eli) -> None:
    clock = Clock()
    local = service(demo_sessions, clock=clock)
    draft = await local.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert draft.delivery == "eml"
    outcome = await local.send(alex, draft.key, include_health=True, confirmed=None, via="test")
    assert outcome.status == "packaged" and len(outcome.links) == 2
    assert outcome.sentence == "Ready for 2 guardians: open each e-mail below in your mail app and send it."
    link = next(li for li in outcome.links if li.to == "Guardian Uno")
    token = link.eml_url.removeprefix("https://faraday.test/messages/").removesuffix(".eml")
    assert link.mailto_url == f"https://faraday.test/messages/{token}/mailto"
    assert "@" not in link.eml_url + link.mailto_url  # the card carries no address
    found = await local.open_eml(token)
    assert found is not None
    data, mailto = found
    mail = message_from_bytes(data, policy=default)
    assert mail["To"].addresses[0].addr_spec == "guardian.uno@example.test"
    assert mail["From"].addresses[0].addr_spec == alex.email and mail["X-Unsent"] == "1"
    assert mail["Content-Language"] == "es" and str(mail["Subject"]) == "Nota de Educación Física sobre Eli"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert body.startswith("Estimado/a Guardian Uno:") and "left wrist" in body
    parts = urlsplit(mailto)
    assert parts.scheme == "mailto" and unquote(parts.path) == "guardian.uno@example.test"
    query = parse_qs(parts.query)
    assert query["subject"] == ["Nota de Educación Física sobre Eli"] and query["body"][0] == body
    assert await local.open_eml(token[:-1] + ("A" if token[-1] != "A" else "B")) is None  # tampered
    clock.advance(timedelta(hours=73))
    assert await local.open_eml(token) is None  # expired
    again = await local.send(alex, draft.key, include_health=True, confirmed=None, via="test")
    assert again.status == "already" and len(await recipients(demo_sessions)) == 2
