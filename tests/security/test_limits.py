"""LLM10 unbounded consumption: per-user rate limits in Redis (degrading in-process), input size caps, tool-call and
step caps, and a daily model-token budget."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.agent.loop import OUT_OF_STEPS, Agent
from bot.agent.offline.planner import OfflinePlanner
from bot.agent.openai_backend import OpenAIBackend
from bot.app import create_app
from bot.rate_limit import BudgetedBackend, RateLimiter
from bot.routes import LIMITER
from domain.identity import IdentityService
from domain.seed.facts import DEMO
from tests.fakes.activities import ALEX, activity
from tests.fakes.compromised_model import CompromisedModel
from tests.fakes.connector import FakeConnector
from tests.fakes.openai_server import call, say
from tests.integration.conftest import BotClient, bot_settings
from tests.security.conftest import MODULE, bot_text, sessions_for
from tests.security.test_least_privilege import services
from tools.base import ToolDeps
from tools.registry import TOOLS

pytestmark = [MODULE, pytest.mark.usefixtures("reset")]
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("America/Chicago"))


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
    with caplog.at_level(logging.WARNING, logger="bot.rate_limit"):
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
