"""Crash safety: a relay *process* killed with SIGKILL between claim and send, or between send and mark; a fresh
relay process then delivers everything, and nothing confirmed sent is sent again."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter

from domain.settings import REPO_ROOT
from tests.support.alerts import World

TIMEOUT = 60


async def relay_process(db_url: str, redis_url: str | None, *args: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"DATABASE_URL": db_url, "FARADAY_DEV_INSECURE": "1", "PYTHONPATH": str(REPO_ROOT)}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.alert_runner", "--poll-s", "0.1", "--lease-s", "1", *args,
        env=env, cwd=REPO_ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )


async def killed(proc: asyncio.subprocess.Process) -> int:
    return await asyncio.wait_for(proc.wait(), TIMEOUT)


async def delivered_by_restart(world: World, db_url: str, redis_url: str | None, expected: int) -> None:
    proc = await relay_process(db_url, redis_url)
    try:
        await world.connector.wait_for(lambda _: len(world.connector.cards()) >= expected, timeout=TIMEOUT)
        for _ in range(100):  # the last marks land just after the last send
            if all(r["status"] == "sent" for r in await world.deliveries()):
                break
            await asyncio.sleep(0.05)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), TIMEOUT)


def sent_pairs(world: World) -> Counter[tuple[int, str]]:
    return Counter((m["attachments"][0]["content"]["actions"][0]["data"]["alert_id"], m["_conversation"])
                   for m in world.connector.messages() if not m.get("_update"))


async def test_killed_between_claim_and_send_then_a_restart_delivers_everything(
    subscribed: World, demo_db_url: str, redis_url: str
) -> None:
    world = subscribed
    for _ in range(3):
        await world.log_incident()
    expected = 3 * len(await world.recipients())
    assert await killed(await relay_process(demo_db_url, redis_url, "--crash-at", "after_claim")) == -9
    assert world.connector.cards() == [], "nothing was sent before the crash"
    assert {r["status"] for r in await world.deliveries()} == {"sending"}, "claimed rows are left leased"
    await delivered_by_restart(world, demo_db_url, redis_url, expected)
    assert sum(sent_pairs(world).values()) == expected and set(sent_pairs(world).values()) == {1}
    assert {r["status"] for r in await world.deliveries()} == {"sent"}


async def test_killed_between_send_and_mark_the_journal_prevents_a_second_send(
    subscribed: World, demo_db_url: str, redis_url: str
) -> None:
    world = subscribed
    for _ in range(2):
        await world.log_incident()
    expected = 2 * len(await world.recipients())
    assert await killed(await relay_process(demo_db_url, redis_url, "--crash-at", "after_send", "--batch", "1")) == -9
    assert len(world.connector.cards()) == 1, "one card went out, then the process died before recording it"
    first_id = world.connector.messages()[0]["_id"]
    await delivered_by_restart(world, demo_db_url, redis_url, expected)
    assert sum(sent_pairs(world).values()) == expected and set(sent_pairs(world).values()) == {1}
    assert first_id in {r["sent_activity_id"] for r in await world.deliveries()}


async def test_without_the_journal_the_one_in_flight_card_is_sent_twice_and_only_that_one(
    subscribed: World, demo_db_url: str
) -> None:
    """The documented at-least-once window: Redis down (no journal) and a crash after the connector accepted."""
    world = subscribed
    await world.log_incident()
    expected = len(await world.recipients())
    assert await killed(await relay_process(demo_db_url, None, "--crash-at", "after_send", "--batch", "1")) == -9
    await delivered_by_restart(world, demo_db_url, None, expected + 1)
    counts = sent_pairs(world)
    assert len(counts) == expected and sorted(counts.values()) == [1] * (expected - 1) + [2]
    assert {r["status"] for r in await world.deliveries()} == {"sent"}
