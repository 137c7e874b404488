"""The real bot as an OS process (``python -m bot run``), as end-to-end and scale-out tests need it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def bot_process(database_url: str, redis_url: str, log: Path, **env: str) -> Iterator[str]:
    """Run the bot in dev mode on a free loopback port; yields its /api/messages URL once /healthz answers."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "FARADAY_DEV_INSECURE": "1",
                   "HOST": "127.0.0.1", "PORT": str(port), **env}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=environment, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, log)
        yield f"http://127.0.0.1:{port}/api/messages"
    finally:
        proc.terminate()
        proc.wait(15)


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
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
