"""Local run-time: embedded servers when no URLs are configured, the web server, and the Agents Playground.

The embedded servers and the Playground are developer tools (``devtools/``, not in the production image): they are
imported only here, inside the functions that start them, and only when a URL is missing or ``--playground`` is asked
for. The image always has DATABASE_URL and REDIS_URL set, so it never reaches those imports.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from domain.db import describe_url
from domain.settings import Settings

if TYPE_CHECKING:
    from devtools.embedded_servers import EmbeddedPostgres, EmbeddedRedis
    from devtools.playground import Playground

log = logging.getLogger(__name__)


class LocalServers:
    """Starts embedded PostgreSQL and Valkey for the settings that have no URL; stops them at exit."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._postgres: EmbeddedPostgres | None = None
        self._redis: EmbeddedRedis | None = None

    def start(self, *, need_redis: bool) -> Settings:
        updates: dict[str, str] = {}
        if not self._settings.database_url:
            from devtools.embedded_servers import EmbeddedPostgres

            self._postgres = EmbeddedPostgres(self._settings.data_dir / "postgres")
            updates["database_url"] = self._postgres.start()
        if need_redis and not self._settings.redis_url:
            from devtools.embedded_servers import EmbeddedRedis

            self._redis = EmbeddedRedis(self._settings.data_dir / "valkey")
            updates["redis_url"] = self._redis.start()
        settings = self._settings.model_copy(update=updates)
        log.info("database", extra={"url": describe_url(settings.database_url), "embedded": self._postgres is not None})
        return settings

    def stop(self) -> None:
        for server in (self._redis, self._postgres):
            if server is not None:
                server.stop()


def serve(settings: Settings, *, playground: bool, playground_user: str = "Alex Wilber") -> None:
    from bot.app import create_app

    app = create_app(settings)
    tester: Playground | None = None
    if playground:
        from devtools.playground import Playground

        tester = Playground(f"http://{settings.host}:{settings.port}/api/messages", user=playground_user)

        async def start_playground(_: web.Application) -> None:
            assert tester is not None
            await asyncio.to_thread(tester.start)
            print(f"\nFaraday is running. Open the Agents Playground: {tester.url}\n", flush=True)

        app.on_startup.append(start_playground)
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    finally:
        if tester is not None:
            tester.stop()


