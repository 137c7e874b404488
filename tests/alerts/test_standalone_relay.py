"""The standalone relay (``python -m bot.alert_runner``) sends through the app's adapter (``make_adapter``): a hung
connector fails the send after ``connector_timeout_s`` through Faraday's transport, not after msrest's 100 s."""

from __future__ import annotations

import logging

import pytest

from bot.alert_runner import AlertConfig, standalone_runner
from bot.channel.adapter import FaradayAdapter
from bot.channel.retrying_adapter import RetryingCloudAdapter
from domain.settings import Settings
from tests.support.alerts import FAST, World


async def test_the_standalone_relay_times_out_a_hung_connector_like_the_app(
    subscribed: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = subscribed
    await world.log_incident()
    world.connector.hang_next(5.0, count=1000)  # then a 504: what the stock adapter would record
    settings = Settings(faraday_dev_insecure=True, connector_timeout_s=0.3)
    runner, adapter = standalone_runner(settings, AlertConfig(relay=FAST), world.sessions, None)
    try:
        assert isinstance(adapter, FaradayAdapter) and isinstance(adapter, RetryingCloudAdapter)
        with caplog.at_level(logging.WARNING, logger="bot.channel.connector_http"):
            assert await runner.tick() > 0
    finally:
        await adapter.close()
    errors = [r["last_error"] for r in await world.deliveries()]
    assert errors and all(e and "Timeout" in e for e in errors), errors  # not "504 ..."
    assert any("timed out" in r.getMessage() for r in caplog.records), "sent through Faraday's connector transport"
    assert world.connector.cards() == []
