"""Delivery through the real CloudAdapter to a fake connector: exactly once, two relays at once, retries and
permanent failures, conversations created for admins without a stored chat."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import text

from domain.alerts.relay import RelayConfig
from domain.alerts.store import CardState, DeliveryStore
from domain.alerts.types import Sent
from domain.db import make_engine, make_sessionmaker
from domain.seed.facts import DEMO
from tests.support.alerts import FAST, World, drain, make_relay, settle


async def test_n_incidents_reach_m_recipients_exactly_once(subscribed: World) -> None:
    world = subscribed
    people = await world.recipients()
    ids = [await world.log_incident() for _ in range(4)]
    await drain(make_relay(world.sessions))
    cards = world.connector.cards()
    assert len(cards) == len(ids) * len(people)
    per_alert = {(c["actions"][0]["data"]["alert_id"], m["_conversation"])
                 for m in world.connector.messages() for c in [m["attachments"][0]["content"]]}
    assert len(per_alert) == len(ids) * len(people), "no recipient got the same alert twice"
    rows = await world.deliveries()
    assert {r["status"] for r in rows} == {"sent"} and all(r["sent_activity_id"] for r in rows)


async def test_two_relays_with_separate_engines_deliver_everything_exactly_once(subscribed: World,
                                                                               demo_db_url: str) -> None:
    world = subscribed
    people = await world.recipients()
    for _ in range(10):
        await world.log_incident()
    engines = [make_engine(demo_db_url, pool_size=4) for _ in range(2)]
    try:
        relays = [make_relay(make_sessionmaker(e), config=RelayConfig(batch=3, backoff_base_s=0.05)) for e in engines]
        await settle(world, *relays)
        claimed = [r.claimed for r in relays]
    finally:
        for e in engines:
            await e.dispose()
    assert all(c > 0 for c in claimed), f"both relays did work: {claimed}"
    cards = world.connector.cards()
    assert len(cards) == 10 * len(people)
    pairs = {(m["attachments"][0]["content"]["actions"][0]["data"]["alert_id"], m["_conversation"])
             for m in world.connector.messages()}
    assert len(pairs) == 10 * len(people)
    assert {r["status"] for r in await world.deliveries()} == {"sent"}
    # Each replica keeps its own rate limiter: two replicas sending to one admin at once can draw 429s, which are
    # retried after Retry-After (sum(claimed) - 30 of them here). A shared (Redis) limiter would remove them.


async def test_a_429_with_retry_after_is_honoured_then_delivered(subscribed: World) -> None:
    world = subscribed
    world.connector.fail_next(429, count=2, retry_after=0.3)
    await world.log_incident()
    relay = make_relay(world.sessions)
    loop = asyncio.get_running_loop()
    started = loop.time()
    while len(world.connector.cards()) < len(await world.recipients()):
        await relay.run_once()
        await asyncio.sleep(0.02)
        assert loop.time() - started < 30, "delivered at last (a generous deadline, not a speed target)"
    # a lower bound cannot fail on a slow machine: the retry waited for Retry-After
    assert loop.time() - started >= 0.3, "nothing was retried before Retry-After"
    assert max(r["attempts"] for r in await world.deliveries()) == 2


async def test_a_burst_of_5xx_is_retried_with_backoff(subscribed: World) -> None:
    world = subscribed
    world.connector.fail_next(502, count=3)
    world.connector.fail_next(504, count=2)
    await world.log_incident()
    relay = make_relay(world.sessions)
    for _ in range(200):
        await relay.run_once()
        if len(world.connector.cards()) == len(await world.recipients()):
            break
        await asyncio.sleep(0.02)
    rows = await world.deliveries()
    assert {r["status"] for r in rows} == {"sent"}
    assert sum(r["attempts"] for r in rows) == len(rows) + 5


async def test_a_permanent_403_is_recorded_and_shown_to_the_other_recipients(subscribed: World) -> None:
    world = subscribed
    lynne = await world.actor(DEMO.lynne.email)
    world.connector.block(f"a:personal-{lynne.aad_object_id}", 403, "BotNotInConversationRoster")
    await world.log_incident()
    await settle(world, make_relay(world.sessions))
    rows = {r["email"]: r for r in await world.deliveries()}
    assert rows[DEMO.lynne.email]["status"] == "failed"
    assert rows[DEMO.lynne.email]["attempts"] == 1, "a permanent failure is not retried"
    assert "isn't installed" in rows[DEMO.lynne.email]["last_error"]
    megan = await world.actor(DEMO.megan.email)
    chat = f"a:personal-{megan.aad_object_id}"
    # Megan's card names the failure: updated in place, or already in her first card when Lynne's delivery failed
    # before hers was sent (deliveries run concurrently).
    updated = world.connector.updates(chat)
    latest = updated[-1]["attachments"][0]["content"] if updated else world.connector.cards(chat)[-1]
    assert "Lynne Robbins" in str(latest), "Megan's card shows the failed delivery"


async def test_a_card_sent_while_a_failure_commits_is_flagged_for_an_update(subscribed: World) -> None:
    """The race behind the test above, made deterministic: a failure commits while mark_sent waits for the alert
    row; the card just sent (rendered without the failure) must be flagged for an update, not recorded as current."""
    world = subscribed
    await world.log_incident()
    store = DeliveryStore(world.sessions)
    now = world.clock()
    claims = await store.claim(now, now + timedelta(seconds=30), 50)
    failing, sending = [c for c in claims if c.kind == "alert"][:2]
    async with world.sessions() as other:
        async with other.begin():
            await other.execute(text("SELECT 1 FROM alerts WHERE id = :id FOR NO KEY UPDATE"),
                                {"id": failing.alert_id})
            await other.execute(text("UPDATE alert_deliveries SET status = 'failed' WHERE id = :id"),
                                {"id": failing.id})
            marking = asyncio.create_task(store.mark_sent(sending, Sent("act-1", "conv-1"),
                                                          rendered=CardState(False, 0), now=now))
            for _ in range(200):  # until mark_sent is waiting for the alert row lock
                async with world.sessions() as probe:
                    waiting = await probe.scalar(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND query LIKE '%FROM alerts%FOR SHARE%'"))
                if waiting:
                    break
                await asyncio.sleep(0.01)
            assert waiting, "mark_sent never waited for the alert row"
        assert await marking
    status = {r["id"]: r["status"] for r in await world.deliveries()}
    assert status[sending.id] == "update_pending", "the stale card is refreshed"


async def test_retries_stop_after_the_attempt_limit(subscribed: World) -> None:
    world = subscribed
    world.connector.fail_next(503, count=1000)
    await world.log_incident()
    relay = make_relay(world.sessions, config=RelayConfig(max_attempts=3, backoff_base_s=0.01, backoff_cap_s=0.02))
    for _ in range(100):
        await relay.run_once()
        if all(r["status"] == "failed" for r in await world.deliveries()):
            break
        await asyncio.sleep(0.02)
    assert {r["attempts"] for r in await world.deliveries()} == {3}


async def test_an_admin_without_a_stored_chat_gets_one_created_and_remembered(world: World) -> None:
    await world.remember(DEMO.megan.email)  # gives the tenant's service URL; Lynne and Adele have no chat yet
    await world.log_incident()
    await drain(make_relay(world.sessions))
    members = [c["members"][0]["id"] for c in world.connector.created]
    lynne = await world.actor(DEMO.lynne.email)
    assert lynne.aad_object_id in members
    assert all(c["channelData"]["tenant"]["id"] and c["tenantID"] for c in world.connector.created)
    assert world.connector.cards(f"a:created-{lynne.aad_object_id}")
    await world.log_incident()
    await drain(make_relay(world.sessions))
    assert len(world.connector.created) == len(members), "the created chat was stored and reused"


async def test_alerts_never_exceed_teams_limits_for_one_conversation(subscribed: World) -> None:
    world = subscribed
    for _ in range(12):
        await world.log_incident()
    await drain(make_relay(world.sessions, config=FAST))
    assert len(world.connector.cards()) == 12 * len(await world.recipients())
    assert world.connector.throttled == 0
