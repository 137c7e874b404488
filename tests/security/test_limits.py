"""LLM10 unbounded consumption: per-user rate limits in Redis (degrading in-process), input size caps, tool-call and
step caps, and a daily model-token budget."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis
from redis.asyncio.connection import Connection

from agent.loop import OUT_OF_STEPS, Agent
from agent.offline.planner import OfflinePlanner
from agent.openai_backend import OpenAIBackend
from bot.app import create_app
from bot.channel.rate_limit import PREFIX, BudgetedBackend, Decision, RateLimiter
from bot.routes import LIMITER
from devtools.fakes.activities import ALEX, activity
from devtools.fakes.compromised_model import CompromisedModel
from devtools.fakes.connector import FakeConnector
from devtools.fakes.openai_server import call, say
from domain.identity import IdentityService
from domain.seed.facts import DEMO
from tests.support.app_client import BotClient, bot_settings
from tests.support.resilience import StoppableValkey
from tests.support.security import MODULE, bot_text, services, sessions_for
from tools.base import ToolDeps
from tools.registry import TOOLS

pytestmark = [MODULE, pytest.mark.usefixtures("reset")]
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
T0 = 1_700_000_000.75  # a fraction of a second: a retry-after from an integer-truncated score would be 1 s short


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def limited_bot(module_db: str, redis_server: str, model: CompromisedModel,
                      fake_connector: FakeConnector) -> AsyncIterator[BotClient]:
    settings = bot_settings(module_db, redis_server, openai_api_key="sk-test", openai_base_url=model.base_url,
                            rate_limit_per_minute=3)
    redis = Redis.from_url(redis_server)
    for key in await redis.keys("faraday:limit:*"):  # other modules' turns in the last minute share this Redis
        await redis.delete(key)
    await redis.aclose()
    app = create_app(settings)
    app[LIMITER] = RateLimiter(Redis.from_url(redis_server), per_minute=3)  # replaced by the wired one, same limit
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    client = BotClient(server, fake_connector)
    yield client
    await client.close()
    await server.close()


async def test_a_user_past_the_per_minute_limit_gets_a_polite_wait_and_no_agent_turn(
    limited_bot: BotClient, fake_connector: FakeConnector, model: CompromisedModel, redis_server: str
) -> None:
    user = "00000000-0000-0000-0000-0000000000023"
    for _ in range(4):
        status, _ = await limited_bot.post(activity(fake_connector.url, text="help", aad=user))
        assert status == 201
    texts = [m.get("text") or "" for m in fake_connector.messages()]
    assert len(texts) == 4 and "faster than I can answer" in texts[-1]
    assert all("faster" not in t for t in texts[:3])
    redis = Redis.from_url(redis_server)
    try:
        assert await redis.keys(f"faraday:limit:m:*{user}"), "the window lives in Redis (shared by replicas)"
    finally:
        await redis.aclose()
    status, _ = await limited_bot.post(activity(fake_connector.url, text="help", aad=ALEX))
    assert status == 201 and "faster" not in fake_connector.messages()[-1]["text"], "limits are per user"


async def test_with_redis_down_limits_hold_in_process_and_it_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    down = Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2, socket_timeout=0.2)
    limiter = RateLimiter(down, per_minute=2, daily_tokens=100)
    with caplog.at_level(logging.WARNING, logger="bot.channel.rate_limit"):
        decisions = [await limiter.hit("t:u") for _ in range(3)]
        await limiter.charge("t:u", 150)
        within = await limiter.within_budget("t:u")
    await down.aclose()
    assert [d.allowed for d in decisions] == [True, True, False] and decisions[2].retry_after_s > 0
    assert not within
    assert len([r for r in caplog.records if "redis unavailable" in r.getMessage()]) == 1


async def test_a_100k_character_message_is_refused_before_the_model_and_a_huge_body_is_413(
    app_client: BotClient, fake_connector: FakeConnector, model: CompromisedModel
) -> None:
    status, _ = await app_client.post(activity(fake_connector.url, text="lorem ipsum " * 8500))
    assert status == 201
    assert "too long" in bot_text(fake_connector) and model.received == []
    status, _ = await app_client.post(activity(fake_connector.url, text="x" * 400_000))
    assert status == 413


async def test_a_looping_model_is_stopped_by_the_step_cap(
    app_client: BotClient, fake_connector: FakeConnector, model: CompromisedModel
) -> None:
    for i in range(10):
        model.obey(call("search_knowledge", {"query": f"frostbite {i}", "kind": None}))
    status, _ = await app_client.post(activity(fake_connector.url, text="loop forever", conversation_type="groupChat"))
    assert status == 201
    assert len(model.received) <= 5
    assert OUT_OF_STEPS in bot_text(fake_connector)


async def test_past_the_daily_token_budget_the_model_is_not_called_and_the_offline_planner_answers(
    module_db: str, redis_server: str, model: CompromisedModel
) -> None:
    engine, sessions = await sessions_for(module_db)
    redis = Redis.from_url(redis_server)
    backend = OpenAIBackend(api_key="sk-test", base_url=model.base_url, model="m", max_retries=0)
    try:
        limiter = RateLimiter(redis, daily_tokens=1)
        alex = await IdentityService(sessions).resolve(DEMO.tenant_id, DEMO.patti.aad_object_id)  # no other model use
        await limiter.charge(f"{alex.tenant_id}:{alex.aad_object_id}", -1)  # no-op, exercises the clamp
        agent = Agent(backend=BudgetedBackend(backend, limiter), tools=TOOLS, fallback=OfflinePlanner())
        deps = ToolDeps(actor=alex, services=services(sessions), now=NOW)
        model.obey(say("first answer"))
        first = await agent.run("hello", deps)
        assert first.text == "first answer" and len(model.received) == 1
        second = await agent.run("hello again", deps)
        assert len(model.received) == 1, "over budget: no model call"
        assert second.backend == "offline"
        assert await limiter.tokens_used(f"{alex.tenant_id}:{alex.aad_object_id}") > 1
    finally:
        await backend.close()
        await redis.aclose()
        await engine.dispose()


# --- the sliding windows in Redis (one Lua script per message) -----------------------------------------------------
class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture(loop_scope="module")
async def redis(redis_server: str) -> AsyncIterator[Redis]:
    """The shared server, without these tests' windows (users ``lua:*``) before and after."""
    client = Redis.from_url(redis_server)
    await clean(client)
    yield client
    await clean(client)
    await client.aclose()


async def clean(client: Redis) -> None:
    for key in [k async for k in client.scan_iter(f"{PREFIX}*:lua:*")]:
        await client.delete(key)


async def counts(redis: Redis, user: str) -> tuple[int, int]:
    return await redis.zcard(f"{PREFIX}m:{user}"), await redis.zcard(f"{PREFIX}h:{user}")


async def test_the_windows_are_shared_by_replicas_on_one_redis(redis_server: str, redis: Redis) -> None:
    clients = [Redis.from_url(redis_server) for _ in range(2)]
    replicas = [RateLimiter(client, per_minute=3, clock=Clock()) for client in clients]
    try:  # the same instant on both replicas: each message is still counted once
        decisions = [await limiter.hit("lua:shared") for limiter in replicas * 2]
    finally:
        for client in clients:
            await client.aclose()
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert await counts(redis, "lua:shared") == (3, 3)


async def test_a_refused_message_uses_up_no_window(redis: Redis) -> None:
    clock, user = Clock(), "lua:refused"
    limiter = RateLimiter(redis, per_minute=2, per_hour=3, clock=clock)
    for _ in range(2):
        assert (await limiter.hit(user)).allowed
        clock.now += 1
    assert not (await limiter.hit(user)).allowed  # over the minute window only
    assert await counts(redis, user) == (2, 2), "not counted in the hour window either"
    assert 60_000 < await redis.pttl(f"{PREFIX}m:{user}") <= 61_000
    assert 3_600_000 < await redis.pttl(f"{PREFIX}h:{user}") <= 3_601_000
    clock.now += 60  # the minute window is empty again, the hour window holds 2 of 3
    assert (await limiter.hit(user)).allowed
    assert not (await limiter.hit(user)).allowed  # over the hour window only
    assert await counts(redis, user) == (1, 3)


async def test_retry_after_is_when_the_oldest_message_leaves_the_window(redis: Redis) -> None:
    clock, user = Clock(), "lua:retry"
    limiter = RateLimiter(redis, per_minute=2, per_hour=3, clock=clock)
    for now in (T0, T0 + 10):
        clock.now = now
        assert (await limiter.hit(user)).allowed
    clock.now = T0 + 20.5
    assert await limiter.hit(user) == Decision(False, 40), "the minute window's oldest (T0) leaves in 39.5 s"
    clock.now = T0 + 60.5
    assert (await limiter.hit(user)).allowed, "T0 has left the minute window"
    clock.now = T0 + 70.5
    assert await limiter.hit(user) == Decision(False, 3530), "the hour window's oldest (T0) leaves in 3529.5 s"
    strict = RateLimiter(redis, per_minute=1, per_hour=1, clock=clock)  # over both: the longer wait (hour) wins
    assert await strict.hit(user) == Decision(False, 3530)


async def test_after_script_flush_the_next_message_reloads_the_script(
    redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    limiter, user = RateLimiter(redis, clock=Clock()), "lua:flush"
    with caplog.at_level(logging.INFO, logger="bot.channel.rate_limit"):
        assert (await limiter.hit(user)).allowed
        await redis.script_flush()
        assert (await limiter.hit(user)).allowed
    assert await counts(redis, user) == (2, 2), "counted in Redis, not in the in-process fallback"
    assert not caplog.records, "no degradation"


class CountingConnection(Connection):
    writes = 0

    async def send_packed_command(self, command: bytes | str | Iterable[bytes], check_health: bool = True) -> None:
        CountingConnection.writes += 1
        await super().send_packed_command(command, check_health)


async def test_one_message_is_one_round_trip_one_script_call_and_no_transaction(
    redis_server: str, redis: Redis
) -> None:
    def calls(stats: dict[str, dict[str, int]], command: str) -> int:
        return stats.get(f"cmdstat_{command}", {}).get("calls", 0)

    client = Redis.from_url(redis_server, connection_class=CountingConnection)
    limiter = RateLimiter(client, per_minute=1, clock=Clock())
    try:
        await limiter.hit("lua:warm-up")  # connects and loads the script
        before, CountingConnection.writes = await redis.info("commandstats"), 0
        assert (await limiter.hit("lua:trips")).allowed
        assert not (await limiter.hit("lua:trips")).allowed  # refused: taken out of the windows in the same call
        writes, after = CountingConnection.writes, await redis.info("commandstats")
    finally:
        await client.aclose()
    assert writes == 2, "one request per message"
    assert {c: calls(after, c) - calls(before, c) for c in ("evalsha", "eval", "multi", "exec")} == {
        "evalsha": 2, "eval": 0, "multi": 0, "exec": 0}
    assert await counts(redis, "lua:trips") == (1, 1)


async def test_redis_down_then_back_the_windows_are_shared_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    valkey, user = StoppableValkey(tmp_path / "valkey"), "lua:restart"
    client = Redis.from_url(valkey.start(), socket_connect_timeout=0.5, socket_timeout=0.5)
    limiter = RateLimiter(client, per_minute=2, clock=Clock())
    try:
        with caplog.at_level(logging.INFO, logger="bot.channel.rate_limit"):
            assert (await limiter.hit(user)).allowed  # in Redis
            valkey.stop()
            assert [(await limiter.hit(user)).allowed for _ in range(3)] == [True, True, False]  # in process
            valkey.start()  # same port, empty: no windows and no script loaded
            assert (await limiter.hit(user)).allowed, "the shared windows again, not the full in-process one"
            assert await counts(client, user) == (1, 1)
    finally:
        await client.aclose()
        valkey.stop()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("redis unavailable" in m for m in messages) == 1
    assert sum("redis is back" in m for m in messages) == 1
