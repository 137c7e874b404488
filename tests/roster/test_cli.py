"""``python -m bot roster ...`` as an operator runs it: a real process on the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.roster.conftest import FIXTURES, snapshot

REPO = Path(__file__).resolve().parents[2]


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": ""}
    return subprocess.run([sys.executable, "-m", "bot", "roster", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


async def test_import_prints_the_json_report_and_a_second_run_says_nothing_changed(demo_db_url, sessions):
    first = run_cli(demo_db_url, "import", str(FIXTURES / "sds_v1_100_users"), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)  # stdout is the report and nothing else
    assert list(report) == ["format", "dry_run", "counts", "errors"]
    assert report["format"] == "sds-v1" and report["dry_run"] is False and report["errors"] == []
    assert list(report["counts"]) == ["schools", "staff", "classes", "students", "enrollments", "guardians"]
    assert report["counts"]["classes"] == {"created": 8, "updated": 0, "deactivated": 0, "unchanged": 0}
    assert "physical" in first.stderr  # the PE pattern in force is shown
    bar = [part for part in first.stderr.replace("\r", "\n").splitlines() if part.startswith("roster sync")]
    assert bar and "6/6" in bar[-1], first.stderr  # the progress bar (stderr), the report alone on stdout

    again = run_cli(demo_db_url, "import", str(FIXTURES / "sds_v1_100_users"))
    assert again.returncode == 0, again.stderr
    assert "Nothing changed" in again.stdout

    status = run_cli(demo_db_url, "status")
    assert status.returncode == 0 and "sds-v1 from sds_v1_100_users" in status.stdout


async def test_invalid_files_exit_2_with_the_errors_and_write_nothing(demo_db_url, sessions, sample):
    folder = sample("sds_v1_100_users")
    (folder / "Section.csv").unlink()
    before = await snapshot(sessions)
    result = run_cli(demo_db_url, "import", str(folder), "--json", "--all-classes")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["errors"] == [{"file": "Section.csv", "line": None,
                                 "message": "required file Section.csv is missing"}]
    assert await snapshot(sessions) == before
    text_result = run_cli(demo_db_url, "import", str(folder))
    assert text_result.returncode == 2 and "Section.csv: required file Section.csv is missing" in text_result.stdout
    assert "Traceback" not in text_result.stderr


async def test_dry_run_exits_0_and_writes_nothing(demo_db_url, sessions):
    before = await snapshot(sessions)
    result = run_cli(demo_db_url, "import", str(FIXTURES / "sds_v2_1"), "--dry-run", "--all-classes", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["guardians"]["created"] == 3
    assert await snapshot(sessions) == before
