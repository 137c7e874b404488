"""Drive the Agents Playground with tests/e2e/driver.mjs (playwright-core + Debian chromium headless).

    from devtools.playground import Playground
    from tests.support.playground_driver import drive

    with Playground("http://127.0.0.1:3978/api/messages") as pg:       # current user Alex Wilber
        result = drive(pg, {"steps": [{"send": "hi"}, {"waitForText": "Hello"}]})
        assert result["ok"], result
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from devtools.playground import REPO, Playground, PlaygroundError

DRIVER = Path(__file__).resolve().parents[1] / "e2e" / "driver.mjs"


def drive(playground: Playground, script: dict[str, Any], timeout: float = 300.0) -> dict[str, Any]:
    """Run driver.mjs against a running Playground; returns its JSON result."""
    return run_driver({"url": playground.url, "botEndpoint": playground.endpoint, **script}, timeout=timeout)


def run_driver(script: dict, timeout: float = 300.0) -> dict:
    node = shutil.which("node") or "node"
    p = subprocess.run([node, str(DRIVER)], input=json.dumps(script), capture_output=True, text=True,
                       timeout=timeout, cwd=REPO)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise PlaygroundError(f"driver failed (rc={p.returncode}):\n{p.stdout}\n{p.stderr}") from None


def drive_beside(
    listener: Playground, listener_steps: list[dict[str, Any]], actor: Playground, actor_script: dict[str, Any],
    *, folder: Path, listener_name: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two people in front of the same bot: the listener's chat opens first (its reference is stored by that visit),
    then the actor's script runs while the listener waits for what the actor causes. Returns (listener, actor)."""
    opened = folder / f"{listener_name}-opened.png"
    listener_script = {
        "screenshotOnFailure": str(folder / f"{listener_name}-failure.png"),
        "steps": [{"waitForText": "I'm Faraday"}, {"screenshot": str(opened)}, *listener_steps],
    }
    with ThreadPoolExecutor(1) as pool:
        listening = pool.submit(drive, listener, listener_script)
        deadline = time.monotonic() + 90
        while not opened.exists():
            if listening.done() or time.monotonic() > deadline:
                raise AssertionError(f"{listener_name}'s chat never opened: "
                                     f"{listening.result() if listening.done() else 'timed out'}")
            time.sleep(0.1)
        acted = drive(actor, actor_script)
        return listening.result(), acted
