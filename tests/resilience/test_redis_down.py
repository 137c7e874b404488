"""Redis (Valkey) down: de-duplication and rate limiting degrade to in-process (logged once each), the bot keeps
answering; Redis back: shared de-duplication resumes. A dedicated Valkey server is stopped, not the shared one."""

from __future__ import annotations

import logging

import pytest
from redis.asyncio import Redis

from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from tests.support.resilience import settings_for


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(1 for r in caplog.records if r.levelno >= logging.WARNING and text in r.getMessage())


async def test_redis_down_then_back(demo_db_url: str, own_redis, connector: FakeConnector, bots,
                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    valkey, url = own_redis
    client = await bots(settings_for(demo_db_url, url), connector)
    assert (await client.post(activity(connector.url, text="show me Jamie Ortiz")))[0] == 201

    valkey.stop()
    for i in range(5):
        status, _ = await client.post(activity(connector.url, text="show me Jamie Ortiz", activity_id=f"down-{i}"))
        assert status == 201
    replies = len(connector.messages())
    assert replies == 6 and connector.messages()[-1]["text"].startswith("Here is **Jamie Ortiz**")
    # a Teams re-send while Redis is down is still answered once (in-process de-duplication)
    status, _ = await client.post(activity(connector.url, text="show me Jamie Ortiz", activity_id="down-0"))
    assert status == 201 and len(connector.messages()) == replies
    assert _warnings(caplog, "de-duplicating in this process only") == 1, "logged once, not per turn"
    assert _warnings(caplog, "rate limits and token budgets are per process") == 1, "logged once, not per turn"

    valkey.start()  # same port
    status, _ = await client.post(activity(connector.url, text="show me Jamie Ortiz", activity_id="back-1"))
    assert status == 201 and len(connector.messages()) == replies + 1
    assert any("de-duplication is shared again" in r.getMessage() for r in caplog.records)
    # shared again: the key is in Redis, so another replica would see it
    redis = Redis.from_url(url)
    try:
        keys = [k.decode() for k in await redis.keys("faraday:activity:*")]
    finally:
        await redis.aclose()
    assert any(k.endswith("|back-1") for k in keys), keys
