"""Fixtures that run the real bot app over HTTP against real Postgres and Valkey, with a fake Bot Connector."""

from tests.support.app_client import (  # noqa: F401 - fixtures
    ai_bot,
    bot,
    connector,
    demo_sessions_for,
    full_bot,
    model,
)
