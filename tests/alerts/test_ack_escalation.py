"""Acknowledgement (first press wins, every card updated) and escalation on an injectable clock (no sleeps)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from bot.actions.alert import acknowledge_alert, refresh_alert
from domain.actor import Actor
from domain.alerts.escalation import escalate_due
from domain.alerts.service import AlertService
from domain.errors import NotAllowed
from domain.seed.facts import DEMO
from tests.support.alerts import World, make_relay, settle
from tools.base import AlertsAccess, ToolDeps


@dataclass(frozen=True)
class _Alerts:
    alerts: AlertService


def deps(world: World, actor: Actor) -> ToolDeps[AlertsAccess]:
    return ToolDeps(actor=actor, services=_Alerts(world.alerts()), now=world.clock())


async def alert_id(world: World) -> int:
    async with world.sessions() as s:
        return int((await s.execute(text("SELECT max(id) FROM alerts"))).scalar_one())


async def test_two_admins_acknowledging_at_once_one_wins_and_every_card_shows_it(subscribed: World) -> None:
    world = subscribed
    await world.log_incident()
    relay = make_relay(world.sessions, clock=world.clock)
    await settle(world, relay)
    megan, lynne = await world.actor(DEMO.megan.email), await world.actor(DEMO.lynne.email)
    aid = await alert_id(world)
    value = {"action": "alert.ack", "alert_id": aid}
    first, second = await asyncio.gather(acknowledge_alert(value, deps(world, megan)),
                                         acknowledge_alert(value, deps(world, lynne)))
    winners = [o for o in (first, second) if (o.text or "").startswith("Acknowledged")]
    assert len(winners) == 1
    loser = second if winners[0] is first else first
    assert "had already acknowledged" in (loser.text or "")
    async with world.sessions() as s:
        by = (await s.execute(text("SELECT s.display_name FROM alerts a JOIN staff s ON s.id = a.acknowledged_by"
                                   " WHERE a.id = :id"), {"id": aid})).scalar_one()
    assert f"Acknowledged by {by}" in str(first.cards[0]) and f"Acknowledged by {by}" in str(second.cards[0])
    await settle(world, relay)
    for email in await world.recipients():
        person = await world.actor(email)
        updates = world.connector.updates(f"a:personal-{person.aad_object_id}")
        assert updates and f"Acknowledged by {by}" in str(updates[-1]["attachments"][0]["content"]), email
        sent_id = world.connector.messages(f"a:personal-{person.aad_object_id}")[0]["_id"]
        assert updates[-1]["_id"] == sent_id, "the card was updated in place"


async def test_a_card_refresh_shows_the_current_state_and_outsiders_get_nothing(subscribed: World) -> None:
    world = subscribed
    await world.log_incident()
    aid = await alert_id(world)
    adele = await world.actor(DEMO.adele.email)
    card = (await refresh_alert({"alert_id": aid}, deps(world, adele))).cards[0]
    assert card["actions"][0]["verb"] == "alert.ack" and card["actions"][0]["fallback"]["type"] == "Action.Submit"
    assert card["refresh"]["action"]["verb"] == "alert.refresh"
    alex = await world.actor(DEMO.alex.email)
    with pytest.raises(NotAllowed, match="administrators and nurse"):
        await refresh_alert({"alert_id": aid}, deps(world, alex))


async def test_an_unacknowledged_alert_escalates_on_time_and_the_reporter_is_told(subscribed: World) -> None:
    world = subscribed
    await world.remember(DEMO.alex.email)
    await world.log_incident()
    relay = make_relay(world.sessions, clock=world.clock)
    await settle(world, relay)
    after = world.alerts().escalate_after
    world.clock.advance(seconds=after.total_seconds() - 1)
    assert await escalate_due(world.sessions, world.clock(), after) == []
    world.clock.advance(seconds=1)
    assert len(await escalate_due(world.sessions, world.clock(), after)) == 1
    assert await escalate_due(world.sessions, world.clock(), after) == [], "escalated once"
    await settle(world, relay)
    lynne, alex = await world.actor(DEMO.lynne.email), await world.actor(DEMO.alex.email)
    lynne_cards = world.connector.cards(f"a:personal-{lynne.aad_object_id}")
    assert len(lynne_cards) == 2 and "Escalated to you" in str(lynne_cards[-1])
    notice = world.connector.cards(f"a:personal-{alex.aad_object_id}")
    assert len(notice) == 1 and "escalated to Lynne Robbins" in str(notice[0])
    world.clock.advance(minutes=60)
    assert await escalate_due(world.sessions, world.clock(), after) == [], "nobody further up the list"


async def test_an_acknowledged_alert_does_not_escalate(subscribed: World) -> None:
    world = subscribed
    await world.log_incident()
    megan = await world.actor(DEMO.megan.email)
    await world.alerts().acknowledge(megan, await alert_id(world), via="test")
    world.clock.advance(minutes=30)
    assert await escalate_due(world.sessions, world.clock(), world.alerts().escalate_after) == []
