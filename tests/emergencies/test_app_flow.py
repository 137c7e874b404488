"""An evacuation drill through two running bot replicas (real app, real HTTP, shared PostgreSQL and Valkey, each
replica running its relay) and a rate-limited fake connector: three teachers with a class in period 3 and two
admins. Alex answers All here, Isaiah marks a student missing, Nadia never answers (reminded, then the admins are
told); the admin marks the student found and gives the all clear. One tally; no card sent twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from devtools.fakes.activities import activity
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.seed.facts import DEMO
from tests.support.alerts import FakeClock
from tests.support.app_client import BotClient, bot_settings, serving
from tests.support.emergencies import ADMINS, NADIA, TEACHERS, School, add_period_3_class, card_actions, card_texts

WAIT_S = 30.0


@pytest.fixture
async def replicas(demo_sessions: Any, demo_db_url: str, redis_url: str,
                   connector: RateLimitedConnector) -> AsyncIterator[tuple[School, BotClient, BotClient]]:
    school = School(demo_sessions, connector, FakeClock())
    school.classes = {email: await add_period_3_class(demo_sessions, email) for email in (DEMO.isaiah.email, NADIA)}
    for email in TEACHERS + ADMINS:
        await school.remember(email)
    settings = bot_settings(demo_db_url, redis_url, alert_relay_poll_s=0.1)
    async with serving(settings, connector) as one, serving(settings, connector) as two:
        yield school, one, two


def _latest(connector: RateLimitedConnector, conversation: str) -> dict[str, Any]:
    updates = [u for u in connector.updates(conversation) if u.get("attachments")]
    return updates[-1]["attachments"][0]["content"] if updates else connector.cards(conversation)[-1]


def _inputs(card: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = str(node.get("value", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("body", []))
    return found


def _press(connector: RateLimitedConnector, aad: str, action: dict[str, Any], inputs: dict[str, str]) -> dict[str, Any]:
    return activity(connector.url, type="invoke", name="adaptiveCard/action", aad=aad,
                    value={"action": {"type": "Action.Execute", "verb": action["verb"],
                                      "data": {**action["data"], **inputs}}})


def _button(card: dict[str, Any], title: str) -> dict[str, Any]:
    return next(a for a in card_actions(card) if a["title"] == title)


async def test_an_evacuation_drill_end_to_end_through_two_replicas(
    replicas: tuple[School, BotClient, BotClient], connector: RateLimitedConnector,
) -> None:
    school, one, two = replicas
    chats = {email: school.conversation(await school.actor(email)) for email in TEACHERS + ADMINS}

    def cards_in(email: str) -> int:
        return len(connector.cards(chats[email]))

    # An admin starts the drill by typing the command (replica one).
    status, _ = await one.post(activity(connector.url, text="Evacuation drill for period 3",
                                        aad=DEMO.megan.aad_object_id))
    assert status in (200, 201)
    await connector.wait_for(lambda _: all(cards_in(e) == 1 for e in TEACHERS + ADMINS), WAIT_S)
    reply = [m.get("text", "") for m in connector.messages(chats[DEMO.megan.email]) if m.get("text")]
    assert any("Evacuation drill for period 3" in t and "3 class(es)" in t for t in reply)

    # Alex: All here, in one tap (pressed through replica two).
    alex_card = connector.cards(chats[DEMO.alex.email])[0]
    status, body = await two.post(_press(connector, DEMO.alex.aad_object_id, _button(alex_card, "All here"), {}))
    assert status == 200 and any("all here at" in t for t in card_texts(body["value"]))

    # Isaiah: one student missing.
    isaiah_card = connector.cards(chats[DEMO.isaiah.email])[0]
    isaiah_class = school.classes[DEMO.isaiah.email]  # type: ignore[index]
    missing = (await school.roster(DEMO.isaiah.email))[1]
    inputs = _inputs(isaiah_card) | {f"missing_{isaiah_class}": str(missing)}
    status, body = await one.post(_press(connector, DEMO.isaiah.aad_object_id, _button(isaiah_card, "Report marks"),
                                         inputs))
    assert status == 200 and any(t.startswith("Missing") for t in card_texts(body["value"]))

    # The admins' cards are updated in place to one tally: 2 of 3 classes, one student missing.
    def tally_shows(*wanted: str) -> bool:
        return all(all(w in card_texts(_latest(connector, chats[e])) for w in wanted) for e in ADMINS)

    await connector.wait_for(lambda _: tally_shows("Classes accounted for: 2 of 3", "Missing: 1"), WAIT_S)

    # Nadia never answers: time passes (the emergency's escalation time is moved to now), she is reminded...
    await _time_is_up(school)
    await connector.wait_for(lambda _: cards_in(NADIA) == 2, WAIT_S)
    assert any("Reminder" in t for t in card_texts(connector.cards(chats[NADIA])[1]))
    # ...and when it is up again, both admins get the roll-up naming her class.
    await _time_is_up(school)
    await connector.wait_for(lambda _: all(cards_in(e) == 2 for e in ADMINS), WAIT_S)
    for email in ADMINS:
        texts = card_texts(connector.cards(chats[email])[1])
        assert any(t.startswith("Escalated: 1 class") for t in texts)
        assert any("Nadia Okafor" in t for t in texts if "students" in t)

    # The missing student is found: Megan presses Found on her card.
    megan_card = connector.cards(chats[DEMO.megan.email])[1]
    status, body = await two.post(_press(connector, DEMO.megan.aad_object_id, _button(megan_card, "Found"), {}))
    assert status == 200 and "Found: 1" in card_texts(body["value"]) and "Missing: 0" in card_texts(body["value"])

    # All clear (typed on replica two): every card shows it.
    await two.post(activity(connector.url, text="all clear", aad=DEMO.megan.aad_object_id))
    await connector.wait_for(lambda _: all(
        any(t.startswith("All clear given by Megan Bowen") for t in card_texts(_latest(connector, chats[e])))
        for e in TEACHERS + ADMINS), WAIT_S)

    # No card was sent twice; one tally; the record kept with its times.
    assert {e: cards_in(e) for e in TEACHERS + ADMINS} == {
        DEMO.alex.email: 1, DEMO.isaiah.email: 1, NADIA: 2, DEMO.megan.email: 2, DEMO.lynne.email: 2}
    final = card_texts(_latest(connector, chats[DEMO.lynne.email]))
    assert "Classes accounted for: 2 of 3" in final and "Missing: 0" in final and "Found: 1" in final
    marks = await school.rows("SELECT mark FROM emergency_marks WHERE student_id = :s ORDER BY id", s=missing)
    assert [m["mark"] for m in marks] == ["missing", "found"]
    record = (await school.rows("SELECT drill, period, started_at, closed_at FROM emergencies"))[0]
    assert record["drill"] and record["period"] == "3" and record["closed_at"] > record["started_at"]
    classes = await school.rows("SELECT status FROM emergency_classes ORDER BY status")
    assert [c["status"] for c in classes] == ["all_here", "partial", "unanswered"]


async def _time_is_up(school: School) -> None:
    async with school.sessions() as s, s.begin():
        await s.execute(text("UPDATE emergencies SET escalate_after = now() - interval '1 second'"
                             " WHERE closed_at IS NULL AND escalate_after IS NOT NULL"))
