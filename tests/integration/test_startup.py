"""What the running app does once it is up: the embedder and the safety topics' examples are warmed up, then the
start-up heap is frozen (bot.process.heap)."""

from __future__ import annotations

import asyncio
import gc

from devtools.fakes.connector import FakeConnector
from knowledge import situations, topics
from tests.support.app_client import bot_settings, start_bot


async def test_the_app_freezes_its_start_up_heap_after_warming_up(demo_db_url: str, redis_url: str,
                                                                   connector: FakeConnector) -> None:
    gc.unfreeze()
    topics._index = None  # built again by the warm-up (from the disk cache), not by a test before this one
    situations._indexes.clear()
    situations._classifiers.clear()
    client = await start_bot(bot_settings(demo_db_url, redis_url, freeze_startup_heap=True), connector)
    try:
        for _ in range(600):  # the MiniLM warm-up runs first (a few seconds at most)
            if gc.get_freeze_count():
                break
            await asyncio.sleep(0.05)
        assert gc.get_freeze_count() > 0, "the start-up heap was not frozen"
        assert topics._index is not None and set(situations._indexes) == {False, True}  # no first turn waits
        assert "model" in situations._classifiers  # nor trains the situation classifier
    finally:
        gc.unfreeze()  # the test process's objects go back to normal collection
        await client.close()
        await client.server.close()
