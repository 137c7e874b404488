"""Pre-class briefs through two running bot replicas (real app and HTTP, shared PostgreSQL with the knowledge corpus
and Valkey, each replica running its alert runner) with the fake connector and an injected clock (``relay_clock``),
never the wall clock: Alex enters today's temperature and gets one heat brief for period 3 from the two replicas,
Isaiah turned his off and gets none, the nurse cannot turn briefs off; each command is audited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from devtools.fakes.activities import activity
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.seed.facts import DEMO
from tests.support.alerts import FakeClock
from tests.support.app_client import BotClient, bot_settings, serving
from tests.support.briefs import BEFORE_PERIOD_3, Briefs
from tests.support.emergencies import add_period_3_class, card_texts

WAIT_S = 30.0


@pytest.fixture
async def replicas(full_sessions: Any, full_db_url: str, redis_url: str,
                   connector: RateLimitedConnector) -> AsyncIterator[tuple[Briefs, BotClient, BotClient]]:
    world = Briefs(full_sessions, connector, FakeClock(BEFORE_PERIOD_3 - timedelta(minutes=20)))  # 09:20
    await add_period_3_class(full_sessions, DEMO.isaiah.email)
    settings = bot_settings(full_db_url, redis_url, alert_relay_poll_s=0.1, pre_class_brief_minutes=15)
    async with (serving(settings, connector, relay_clock=world.clock) as one,
                serving(settings, connector, relay_clock=world.clock) as two):
        yield world, one, two


async def _say(bot: BotClient, connector: RateLimitedConnector, aad: str, text: str) -> str:
    """Send a message to the bot in the person's 1:1 chat; the text of the bot's reply there."""
    chat = f"a:personal-{aad}"
    before = len(connector.messages(chat))
    status, _ = await bot.post(activity(connector.url, text=text, aad=aad))
    assert status in (200, 201, 202)
    await connector.wait_for(lambda _: len(connector.messages(chat)) > before, WAIT_S)
    return str(connector.messages(chat)[-1].get("text", ""))


async def test_two_replicas_send_alex_one_heat_brief_and_isaiah_who_turned_them_off_none(
    replicas: tuple[Briefs, BotClient, BotClient], connector: RateLimitedConnector,
) -> None:
    world, one, two = replicas
    alex, isaiah = await world.actor(DEMO.alex.email), await world.actor(DEMO.isaiah.email)
    alex_chat, isaiah_chat = f"a:personal-{alex.aad_object_id}", f"a:personal-{isaiah.aad_object_id}"

    assert "**95°F**" in await _say(one, connector, alex.aad_object_id, "temperature 95")
    assert "**off** for you" in await _say(two, connector, isaiah.aad_object_id, "briefs off")
    refused = await _say(one, connector, DEMO.adele.aad_object_id, "briefs off")  # the nurse teaches no class
    assert "go to teachers and coaches" in refused
    await asyncio.sleep(0.5)  # a few relay polls at 09:20: nothing is due yet
    assert connector.cards(alex_chat) == [] and await world.rows("SELECT id FROM pre_class_briefs") == []

    world.clock.advance(minutes=20)  # 09:40, ten minutes before period 3
    await connector.wait_for(lambda _: len(connector.cards(alex_chat)) == 1, WAIT_S)
    await asyncio.sleep(1.0)  # both replicas keep polling: no second card
    cards = connector.cards(alex_chat)
    assert len(cards) == 1
    texts = card_texts(cards[0])
    assert texts[0].startswith("Before ") and texts[0].endswith(" at 09:50")
    assert "Temperature: 95°F" in texts
    assert "Have ready: Heat Illness Prevention and WBGT Activity Modification" in texts
    assert any(t.startswith("Source: Heat Illness Prevention and WBGT Activity Modification, §") for t in texts)
    assert connector.cards(isaiah_chat) == []

    sent = await world.rows("SELECT teacher_id, status FROM pre_class_briefs WHERE teacher_id IN (:a, :i)",
                            a=alex.staff_id, i=isaiah.staff_id)
    assert sent == [{"teacher_id": alex.staff_id, "status": "sent"}]
    audited = await world.rows("SELECT action, via, allowed, actor_staff_id FROM audit_log WHERE action LIKE 'brief.%'"
                               " ORDER BY id")
    assert audited == [
        {"action": "brief.temperature", "via": "command:briefs", "allowed": True, "actor_staff_id": alex.staff_id},
        {"action": "brief.preference", "via": "command:briefs", "allowed": True, "actor_staff_id": isaiah.staff_id},
    ]
    reads = await world.rows("SELECT count(*) AS n FROM audit_log WHERE via = 'brief' AND actor_staff_id = :a",
                             a=alex.staff_id)
    assert reads[0]["n"] >= 1  # the class (and each student shown) read for the brief, audited
