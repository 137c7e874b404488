"""`python -m bot plan`: the planned tool calls as JSON, with nothing executed or written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import func, select

from domain.models import AuditLog, Incident
from domain.settings import REPO_ROOT


def _plan(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run([sys.executable, "-m", "bot", "plan", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


async def test_the_plan_command_prints_the_tool_calls_and_writes_nothing(demo_db_url: str, demo_sessions) -> None:
    result = _plan(demo_db_url, "--as", "alexw@example.com", "--now", "2026-11-24T09:00",
                   "Jamie Ortiz rolled her ankle in basketball, looks minor")
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout)
    assert out["backend"] == "offline" and out["reply"] is None
    # an injury: the protocol search (issue #19) and the incident proposal
    calls = {c["name"]: c for c in out["tool_calls"]}
    assert sorted(calls) == ["log_incident", "search_knowledge"]
    search, call = calls["search_knowledge"], calls["log_incident"]
    assert search["arguments"]["situation"] is True
    assert "Jamie" not in search["arguments"]["query"]
    assert call["name"] == "log_incident"
    assert call["arguments"]["student"] == "Jamie Ortiz" and call["arguments"]["severity"] == "minor"
    async with demo_sessions() as s:
        assert (await s.execute(select(func.count()).select_from(Incident).where(Incident.idempotency_key.is_not(None)))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(AuditLog))).scalar_one() == 0


async def test_the_plan_command_resolves_relative_dates_against_now(demo_db_url: str) -> None:
    result = _plan(demo_db_url, "--as", "alexw@example.com", "--now", "2026-11-24T09:00",
                   "schedule a parent meeting next Tuesday at 3:30pm")
    (call,) = json.loads(result.stdout)["tool_calls"]
    assert call["name"] == "schedule_event" and call["arguments"]["start"].startswith("2026-12-01T15:30")


async def test_the_plan_command_refuses_an_unknown_email(demo_db_url: str) -> None:
    result = _plan(demo_db_url, "--as", "nobody@example.com", "hello")
    assert json.loads(result.stdout) == {"error": "no active staff member with e-mail nobody@example.com"}
