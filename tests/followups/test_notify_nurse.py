"""Suggested follow-ups after a protocol answer, through the running app (real HTTP, PostgreSQL with the corpus,
Valkey, the offline planner, the app's own relay) and a fake connector: a protocol answer offers *Log incident* and
*Notify nurse* (a widget answer offers none); *Notify nurse* opens a confirmation card, nothing is sent before
Send, a bad note changes nothing, Send reaches the nurse's 1:1 chat once even when pressed twice, audited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from devtools.fakes.activities import activity
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.seed.facts import DEMO
from tests.support.alerts import FakeClock
from tests.support.app_client import BotClient, bot_settings, serving
from tests.support.briefs import Briefs
from tests.support.emergencies import card_texts

WAIT_S = 30.0


@pytest.fixture
async def running(full_sessions: Any, full_db_url: str, redis_url: str,
                  connector: RateLimitedConnector) -> AsyncIterator[tuple[Briefs, BotClient]]:
    world = Briefs(full_sessions, connector, FakeClock())
    await world.remember(DEMO.adele.email)  # the nurse's 1:1 chat
    async with serving(bot_settings(full_db_url, redis_url, alert_relay_poll_s=0.1), connector) as bot:
        yield world, bot


async def _send(bot: BotClient, connector: RateLimitedConnector, **body: Any) -> dict[str, Any]:
    chat = f"a:personal-{DEMO.alex.aad_object_id}"
    before = len(connector.messages(chat))
    status, _ = await bot.post(activity(connector.url, aad=DEMO.alex.aad_object_id, **body))
    assert status in (200, 201, 202)
    await connector.wait_for(lambda _: len(connector.messages(chat)) > before, WAIT_S)
    return connector.messages(chat)[-1]


async def _settled(world: Briefs, sql: str) -> list[dict[str, Any]]:
    """The rows once no delivery is still being sent (at most ``WAIT_S``)."""
    for _ in range(int(WAIT_S / 0.05)):
        rows = await world.rows(sql)
        if all(r["status"] != "sending" for r in rows):
            return rows
        await asyncio.sleep(0.05)
    return rows


def _suggested(message: dict[str, Any]) -> list[tuple[str, str, str]]:
    actions = (message.get("suggestedActions") or {}).get("actions") or []
    return [(a["type"], a["title"], a["value"]) for a in actions]


async def test_a_protocol_answer_offers_log_incident_and_notify_nurse_which_reaches_the_nurse_once(
    running: tuple[Briefs, BotClient], connector: RateLimitedConnector,
) -> None:
    world, bot = running
    answer = await _send(bot, connector, text="What is the concussion protocol?")
    assert _suggested(answer) == [("imBack", "Log incident", "log incident"), ("imBack", "Notify nurse", "notify nurse")]
    widget = await _send(bot, connector, text="Any equipment overdue for inspection?")
    assert _suggested(widget) == []

    opened = await _send(bot, connector, text="notify nurse")
    card = opened["attachments"][0]["content"]
    assert card_texts(card)[0] == "Notify the nurse"
    send = card["actions"][0]["data"]
    assert send["action"] == "nurse.send" and await world.rows("SELECT id FROM nurse_requests") == []

    refused = await _send(bot, connector, value={**send, "note": "  "})
    assert "nothing was sent" in str(refused.get("text")) and await world.rows("SELECT id FROM nurse_requests") == []

    note = "Gym 2: a student hit heads in a drill, dizzy, sitting out with me"
    sent = await _send(bot, connector, value={**send, "note": note})
    assert sent.get("text") == "Sent to the nurse."
    again = await _send(bot, connector, value={**send, "note": note})
    assert again.get("text") == "Already sent to the nurse; nothing more was sent."

    nurse_chat = f"a:personal-{DEMO.adele.aad_object_id}"
    await connector.wait_for(lambda _: len(connector.cards(nurse_chat)) == 1, WAIT_S)
    assert card_texts(connector.cards(nurse_chat)[0]) == [f"{DEMO.alex.display_name} asks for the nurse", note]
    alex = await world.actor(DEMO.alex.email)
    audited = await world.rows("SELECT action, via, allowed, actor_staff_id FROM audit_log WHERE action = 'nurse.notify'")
    assert audited == [{"action": "nurse.notify", "via": "card:nurse", "allowed": True, "actor_staff_id": alex.staff_id}]
    # the relay records the send after Teams accepted it (and after its journal entry): wait for the mark
    deliveries = await _settled(world, "SELECT status FROM nurse_deliveries")
    assert deliveries == [{"status": "sent"}]
