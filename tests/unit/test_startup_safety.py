"""Faraday refuses to run unauthenticated unless explicitly in local dev mode on loopback."""

import subprocess
import sys

import pytest

from bot.app import UnsafeConfiguration, check_safe
from domain.settings import REPO_ROOT, Settings


def test_an_empty_app_id_without_the_dev_flag_is_refused() -> None:
    with pytest.raises(UnsafeConfiguration, match="MICROSOFT_APP_ID is empty"):
        check_safe(Settings(microsoft_app_id="", faraday_dev_insecure=False))


def test_dev_mode_bound_to_a_public_interface_is_refused() -> None:
    with pytest.raises(UnsafeConfiguration, match="HOST must be loopback"):
        check_safe(Settings(microsoft_app_id="", faraday_dev_insecure=True, host="0.0.0.0"))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.5"])
def test_dev_mode_on_loopback_is_allowed(host: str) -> None:
    check_safe(Settings(microsoft_app_id="", faraday_dev_insecure=True, host=host))


def test_a_configured_app_id_is_allowed_on_any_interface() -> None:
    check_safe(Settings(microsoft_app_id="11111111-2222-3333-4444-555555555555", host="0.0.0.0"))


def test_the_run_command_says_why_in_one_line_and_exits_2() -> None:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "HOST": "0.0.0.0",
           "REDIS_URL": "redis://127.0.0.1:1"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("faraday: MICROSOFT_APP_ID is empty")


def test_the_image_has_no_devtools_and_without_database_url_says_to_set_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The files the Dockerfile copies (and nothing else) import and start; with no DATABASE_URL the command line
    asks for it in one line (the embedded servers are developer tools, not in the image) instead of a traceback."""
    import shutil

    copied = [line.split()[1] for line in (REPO_ROOT / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY ") and "--from" not in line and "requirements" not in line]
    assert "bot" in copied and "agent" in copied
    assert not any(path.startswith("devtools") or path.startswith("scripts") for path in copied)
    for path in copied:
        source = REPO_ROOT / path
        if source.is_dir():
            shutil.copytree(source, tmp_path / path, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / path)
    env = {"PATH": "/usr/bin:/bin", "FARADAY_DEV_INSECURE": "1"}
    result = subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "faraday: set DATABASE_URL and REDIS_URL: this installation has no embedded servers (devtools/)")
    assert not (tmp_path / ".data").exists()
