"""Starting an emergency from a safety alert card, through the running app (real HTTP, PostgreSQL, Valkey, the
app's own alert relay) and a fake connector: the admins' alert cards carry *Start evacuation / lockdown*, the
nurse's does not; the button opens a confirmation and only its Start button starts one — the same start as the
``emergency evacuation`` command, audited with the alert it came from; a forged press by the nurse is refused and
audited; a second press starts nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from devtools.fakes.activities import activity
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.seed.facts import DEMO
from tests.support.alerts import FakeClock
from tests.support.app_client import BotClient, bot_settings, serving
from tests.support.emergencies import ADMINS, School, card_actions, card_texts

WAIT_S = 30.0
START = "Start evacuation / lockdown"
NURSE = DEMO.adele.email


@pytest.fixture
async def running(demo_sessions: Any, demo_db_url: str, redis_url: str,
                  connector: RateLimitedConnector) -> AsyncIterator[tuple[School, BotClient]]:
    school = School(demo_sessions, connector, FakeClock())
    for email in (*ADMINS, NURSE):
        await school.remember(email)
    async with serving(bot_settings(demo_db_url, redis_url, alert_relay_poll_s=0.1), connector) as bot:
        yield school, bot


def _press(connector: RateLimitedConnector, aad: str, action: dict[str, Any]) -> dict[str, Any]:
    return activity(connector.url, type="invoke", name="adaptiveCard/action", aad=aad,
                    value={"action": {"type": "Action.Execute", "verb": action["verb"], "data": action["data"]}})


def _titles(card: dict[str, Any]) -> list[str]:
    return [a["title"] for a in card_actions(card)]


def _button(card: dict[str, Any], title: str) -> dict[str, Any]:
    return next(a for a in card_actions(card) if a["title"] == title)


async def test_an_admin_starts_an_evacuation_from_the_alert_card_after_confirming(
    running: tuple[School, BotClient], connector: RateLimitedConnector,
) -> None:
    school, bot = running
    chats = {e: school.conversation(await school.actor(e)) for e in (*ADMINS, NURSE)}
    await school.log_incident(severity="critical", description="Collapsed during the run; 911 called.")
    await connector.wait_for(lambda _: all(len(connector.cards(c)) == 1 for c in chats.values()), WAIT_S)

    megan_alert = connector.cards(chats[DEMO.megan.email])[0]
    assert START in _titles(megan_alert) and START in _titles(connector.cards(chats[DEMO.lynne.email])[0])
    assert START not in _titles(connector.cards(chats[NURSE])[0])

    # The button opens a confirmation; nothing has started yet.
    status, body = await bot.post(_press(connector, DEMO.megan.aad_object_id, _button(megan_alert, START)))
    confirm = body["value"]
    assert status == 200 and any(t.startswith("Start an emergency at") for t in card_texts(confirm))
    assert _titles(confirm) == ["Start evacuation now", "Start lockdown now", "Start severe weather now",
                                "Back to the alert"]
    assert await school.rows("SELECT id FROM emergencies") == []

    # The nurse forges the confirmation's press: refused, audited, nothing started.
    start = _button(confirm, "Start evacuation now")
    status, body = await bot.post(_press(connector, DEMO.adele.aad_object_id, start))
    assert status == 200 and "Only your school's administrators" in str(body["value"])
    assert await school.rows("SELECT id FROM emergencies") == []
    refusals = await school.rows("SELECT via, allowed FROM audit_log WHERE action = 'emergency.start'")
    assert refusals == [{"via": "card:alert", "allowed": False}]

    # Megan confirms: a real evacuation starts, as the command would start it.
    status, body = await bot.post(_press(connector, DEMO.megan.aad_object_id, start))
    assert status == 200
    assert any(t.startswith("Evacuation started") for t in card_texts(body["value"]))
    assert START in _titles(body["value"])  # the alert card again, for the admin
    record = await school.rows("SELECT id, kind, drill, period, closed_at FROM emergencies")
    assert [{k: r[k] for k in ("kind", "drill", "period", "closed_at")} for r in record] == [
        {"kind": "evacuation", "drill": False, "period": None, "closed_at": None}]
    alert_id = (await school.rows("SELECT id FROM alerts"))[0]["id"]
    audit = await school.rows("SELECT via, allowed, reason, subject_id FROM audit_log WHERE action = 'emergency.start'"
                              " AND allowed")
    assert audit == [{"via": "card:alert", "allowed": True, "reason": f"from alert {alert_id}",
                      "subject_id": record[0]["id"]}]

    # Both admins get the emergency roll-up card through the relay.
    await connector.wait_for(lambda _: all(len(connector.cards(chats[e])) == 2 for e in ADMINS), WAIT_S)
    for email in ADMINS:
        assert any(t.startswith("Classes accounted for") for t in card_texts(connector.cards(chats[email])[1]))

    # Pressed again (a second admin, a re-sent invoke): nothing new starts.
    status, body = await bot.post(_press(connector, DEMO.lynne.aad_object_id, start))
    assert any("already under way; nothing new was started" in t for t in card_texts(body["value"]))
    assert len(await school.rows("SELECT id FROM emergencies")) == 1
    deliveries = await school.rows("SELECT recipient_id, kind FROM emergency_deliveries WHERE kind = 'admin'")
    assert len(deliveries) == 2


async def test_an_unconfirmed_start_starts_nothing(
    running: tuple[School, BotClient], connector: RateLimitedConnector,
) -> None:
    school, bot = running
    await school.log_incident(severity="serious")
    alert_id = (await school.rows("SELECT id FROM alerts"))[0]["id"]
    forged = {"verb": "alert.emergency.start", "data": {"action": "alert.emergency.start", "alert_id": alert_id,
                                                         "kind": "lockdown"}}
    status, body = await bot.post(_press(connector, DEMO.megan.aad_object_id, forged))
    assert status == 200 and "Nothing was started" in str(body["value"])
    assert await school.rows("SELECT id FROM emergencies") == []
