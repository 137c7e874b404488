"""End-to-end fixtures: the real bot as a subprocess (`python -m bot run`) on the demo database, and the
Microsoft 365 Agents Playground in front of it, driven by playwright-core in Debian's headless chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.devservers import EmbeddedPostgres
from scripts.playground import BIN, Playground
from tests.conftest import _url

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def e2e_db_url(postgres: EmbeddedPostgres, full_template: str) -> Iterator[str]:
    name = f"e2e_{os.getpid()}_{int(time.time() * 1000) % 100000}"
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE {full_template}")
    yield _url(postgres, name)
    postgres.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def bot_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bot subprocess's stdout and stderr (JSON log lines): quote its tail when an end-to-end step fails."""
    return tmp_path_factory.mktemp("bot") / "bot.log"


@pytest.fixture(scope="module")
def bot_endpoint(e2e_db_url: str, redis_server: str, bot_log: Path) -> Iterator[str]:
    if not BIN.exists() or not CHROMIUM.exists():
        pytest.fail("end-to-end tests need `scripts/setup --browser` (npm packages and Debian chromium)")
    port = _free_port()
    log = bot_log
    env = {
        **os.environ,
        "DATABASE_URL": e2e_db_url,
        "REDIS_URL": redis_server,
        "FARADAY_DEV_INSECURE": "1",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, log)
        yield f"http://127.0.0.1:{port}/api/messages"
    finally:
        proc.terminate()
        proc.wait(15)


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the bot exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the bot did not become healthy:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def playground(bot_endpoint: str) -> Iterator[Playground]:
    """Alex Wilber, a PE teacher, in his personal chat with Faraday."""
    with Playground(bot_endpoint, port=_free_port()) as pg:
        yield pg


@pytest.fixture(scope="module")
def admin_playground(bot_endpoint: str) -> Iterator[Playground]:
    """Megan Bowen, an admin, in a second Playground in front of the same bot."""
    with Playground(bot_endpoint, port=_free_port(), user="Megan Bowen") as pg:
        yield pg
