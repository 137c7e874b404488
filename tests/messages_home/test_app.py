"""Through the real app over HTTP (fake Bot Connector, real Postgres and Valkey, the offline planner, no Graph): the
issue's example — "email Oliver's parents about his wrist, they speak Spanish" — drafts a message home (not an
incident report), the card shows English beside Spanish, Send packages one .eml per guardian behind the app's signed
links, a second press sends nothing more, and the links open the .eml and the mailto: link."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from typing import Any

import aiohttp
from sqlalchemy import select

from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from domain.actor import Actor
from domain.authorization import student_visible
from domain.models import Student
from tests.support.app_client import BotClient
from tests.support.card_flow import card_action, card_inputs, execute
from tests.support.messages_home import recipients, record_incident, two_guardians


def _text(body: Any) -> str:
    return str(body)


async def _oliver(sessions: Any, alex: Actor) -> int:
    async with sessions() as session:
        found = await session.scalar(select(Student.id).where(Student.first_name == "Oliver", student_visible(alex)))
    assert found is not None
    return int(found)


async def test_a_teacher_drafts_in_chat_reviews_the_card_and_sends_once(
        bot: BotClient, connector: FakeConnector, demo_sessions: Any, alex: Actor) -> None:
    oliver = await _oliver(demo_sessions, alex)
    await two_guardians(demo_sessions, oliver)  # Guardian Uno reads Spanish; Guardian Two has no language recorded
    await record_incident(demo_sessions, alex, oliver)
    await bot.post(activity(connector.url, text="email Oliver's parents about his wrist, they speak Spanish"))
    message = connector.messages()[-1]
    assert "nothing is sent until you press Send" in message["text"]
    card = message["attachments"][0]["content"]
    shown = " ".join(_texts(card))
    assert "Incident note home: Oliver" in shown and "Spanish 2" in shown  # the teacher's "Spanish" for Guardian Two
    assert "Estimado/a \\[nombre del tutor\\]:" in shown and "Dear \\[guardian's name\\]," in shown
    assert "Guardian Uno" not in shown and "example.test" not in shown  # no names or addresses on the draft card
    values = card_inputs(card)
    assert values == {"include_health": "false"}
    press = execute(connector, card_action(card, "Send"), {**values, "include_health": "true"})
    status, body = await bot.post(press)
    assert status == 200 and "Ready for 2 guardians" in _text(body)
    links = [a["url"] for a in _actions(body["value"]) if a["title"].endswith("(.eml)")]
    assert len(links) == 2
    _, again = await bot.post({**press, "id": "pressed-again"})
    assert "already sent; nothing more was sent" in _text(again)
    assert len(await recipients(demo_sessions)) == 2
    async with aiohttp.ClientSession() as http:
        path = "/messages/" + links[0].rsplit("/messages/", 1)[1]
        async with http.get(str(bot.server.make_url(path))) as response:
            assert response.status == 200 and response.content_type == "message/rfc822"
            mail = message_from_bytes(await response.read(), policy=default)
        assert mail["Content-Language"] == "es" and "left wrist" in mail.get_body(("plain",)).get_content()
        async with http.get(str(bot.server.make_url(path.replace(".eml", "/mailto"))),
                            allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"].startswith("mailto:guardian.")
        async with http.get(str(bot.server.make_url(path.replace(".eml", "x.eml")))) as response:
            assert response.status == 404


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node[k] for k in ("text", "title", "value") if isinstance(node.get(k), str)]
        return own + [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    return []


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for element in card.get("body", []):
        found.extend(element.get("actions", []) if element.get("type") == "ActionSet" else [])
    return found


async def test_a_class_notice_asks_to_confirm_the_count_before_anything_goes(
        bot: BotClient, connector: FakeConnector, demo_sessions: Any) -> None:
    await bot.post(activity(connector.url, text="send a reminder about kit to period 3 parents"))
    card = connector.messages()[-1]["attachments"][0]["content"]
    send = next(a for a in card["actions"] if a["title"].startswith("Send to "))
    count = int(send["title"].removeprefix("Send to ").split()[0])
    assert "Class notice home: PE 7 — Period 3" in " ".join(_texts(card)) and count > 20
    _, asked = await bot.post(execute(connector, send, card_inputs(card)))
    confirm = asked["value"]
    assert f"This notice goes to {count} guardians" in " ".join(_texts(confirm))
    assert await recipients(demo_sessions) == []  # the first press only shows the count
    yes = card_action(confirm, f"Yes, send to {count} guardians")
    _, sent = await bot.post(execute(connector, yes, {}))
    assert f"Ready for {count} guardians" in _text(sent) and len(await recipients(demo_sessions)) == count
