"""Test databases: clones of the session's template databases on the embedded PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from devtools.embedded_servers import EmbeddedPostgres

_db_numbers = itertools.count(1)


def database_url(server: EmbeddedPostgres, database: str) -> str:
    return server._server.get_uri(database)  # the embedded server owns the socket path


def clone_database(postgres: EmbeddedPostgres, template: str) -> Iterator[str]:
    name = f"test_{next(_db_numbers)}"
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield database_url(postgres, name)
    postgres.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
