"""The embedded PostgreSQL runs with the settings the product needs (devtools.embedded_servers.server_settings), applied
once: a server that already has them is not restarted."""

from __future__ import annotations

from devtools.embedded_servers import EmbeddedPostgres, server_settings


def _value(server: EmbeddedPostgres, sql: str) -> str:
    out = server.psql(f"SELECT {sql} AS v")
    return out.splitlines()[2].strip()  # header, rule, value


def test_the_server_runs_with_the_wanted_settings(postgres: EmbeddedPostgres) -> None:
    wanted = server_settings()
    assert _value(postgres, "current_setting('jit')") == wanted["jit"] == "off"
    assert _value(postgres, "pg_size_bytes(current_setting('shared_buffers'))") == str(
        _value(postgres, f"pg_size_bytes('{wanted['shared_buffers']}')")
    )
    assert int(_value(postgres, "pg_size_bytes(current_setting('shared_buffers'))")) > 128 * 2**20


def test_settings_already_in_force_cause_no_restart(postgres: EmbeddedPostgres) -> None:
    before = _value(postgres, "pg_postmaster_start_time()")
    postgres._apply_settings()  # what start() runs on every start
    assert _value(postgres, "pg_postmaster_start_time()") == before


def test_a_fresh_data_directory_is_configured_and_restarted_once(tmp_path) -> None:
    server = EmbeddedPostgres(tmp_path / "data", database="fresh")
    server.start()
    try:
        assert _value(server, "current_setting('jit')") == "off"
        assert "jit = 'off'" in (tmp_path / "data" / "postgresql.auto.conf").read_text()
        started = _value(server, "pg_postmaster_start_time()")
        server.stop()
        server.start()  # a later start finds the settings in force: same values, no second restart needed
        assert _value(server, "current_setting('jit')") == "off"
        assert _value(server, "pg_postmaster_start_time()") != started  # it is a new process (stop/start)...
        before = _value(server, "pg_postmaster_start_time()")
        server._apply_settings()
        assert _value(server, "pg_postmaster_start_time()") == before  # ...that start() did not restart again
    finally:
        server.stop()
