"""A school's roster imported with the operator's CLI, then one of its teachers, whom Faraday has never seen, opens
the chat in the Agents Playground: the bot reads their Teams member record from the Playground's connector, links
them to their imported staff row by UPN, shows them an imported student of their class, and refuses a student who
is in the roster but not in their classes (and one of the demo school's)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from devtools.playground import BOT, GROUP_CHAT_ID, TEAM, TENANT_ID, USERS, Playground, _user_yaml
from domain.db import make_engine
from tests.roster.conftest import FIXTURES
from tests.support.bot_process import free_port
from tests.support.playground_driver import drive

REPO = Path(__file__).resolve().parents[2]
# Robin Marsh, teacher u-t1 of the hand-built OneRoster 1.2 export (PE 7 periods 1 and 2): unknown to Teams' demo.
ROBIN_AAD = "11111111-0000-0000-0000-000000000001"
ROBIN_UPN = "rmarsh@lakeview.example"


def _config() -> str:
    """The Playground's mock tenant with Robin as the signed-in user (the default users stay as the others)."""
    robin = (f'  id: user-id-robin\n  name: Robin Marsh\n  userPrincipleName: {ROBIN_UPN}\n'
             f'  aadObjectId: "{ROBIN_AAD}"\n  givenName: Robin\n  surname: Marsh\n  email: {ROBIN_UPN}\n')
    others = "".join("  -\n" + _user_yaml(name, "    ") for name in list(USERS)[:5])  # the schema's maximum
    return ('version: "0.1.1"\n'
            f'tenantId: "{TENANT_ID}"\n'
            f'bot:\n  id: "{BOT["id"]}"\n  name: {BOT["name"]}\n'
            "currentUser:\n" + robin + "users:\n" + others +
            "personalChat:\n  id: personal-chat-user-id-robin\n"
            f"groupChat:\n  id: {GROUP_CHAT_ID}\n  name: Group Chat\n"
            f'team:\n  id: {TEAM["id"]}\n  name: {TEAM["name"]}\n  aadGroupId: "{TEAM["aadGroupId"]}"\n'
            "  channels:\n    - id: channel-announcements-id\n      name: Announcements\n")


@pytest.fixture(scope="module")
def imported(e2e_db_url: str) -> dict[str, object]:
    """``python -m bot roster import`` as an operator runs it, every class (so a Math student is in the roster)."""
    env = {**os.environ, "DATABASE_URL": e2e_db_url, "REDIS_URL": ""}
    done = subprocess.run([sys.executable, "-m", "bot", "roster", "import", str(FIXTURES / "handmade_oneroster_1_2"),
                           "--all-classes", "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


@pytest.fixture(scope="module")
def robin_playground(bot_endpoint: str, imported: dict[str, object]) -> Iterator[Playground]:
    with Playground(bot_endpoint, port=free_port(), user="Robin Marsh", config_text=_config()) as pg:
        yield pg


async def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return [tuple(r) for r in await connection.execute(text(sql))]
    finally:
        await engine.dispose()


def test_a_teacher_from_the_imported_roster_sees_their_student_and_not_one_outside_their_classes(
    robin_playground: Playground, imported: dict[str, object], e2e_db_url: str, tmp_path: Path,
) -> None:
    assert imported["format"] == "oneroster-1.2" and imported["errors"] == []
    result = drive(robin_playground, {
        "screenshotOnFailure": str(tmp_path / "failure.png"),
        "steps": [
            {"send": "show me Avery Quill"},
            {"waitForCard": {"contains": "Ave Quill"}},  # her profile, by her preferred name
            {"send": "show me Devon Ash"},  # in the roster (Math 7, Pat Lind's class), not in Robin's classes
            {"waitForText": {"contains": "couldn't find a student called", "new": True}},
            {"send": "show me Riley Novak"},  # the demo school's student
            {"waitForText": {"contains": "couldn't find a student called", "new": True}},
            {"screenshot": str(tmp_path / "robin.png")},
        ],
    })
    assert result["ok"], result
    profiles = [c for c in result["cards"] if "Ave Quill" in c]
    assert profiles and "Access to this record is logged." in profiles[-1]
    assert not any("Devon" in c or "Riley Novak" in c for c in result["cards"]), result["cards"]

    rows = asyncio.run(_rows(e2e_db_url, f"""
        SELECT s.tenant_id, s.aad_object_id, s.role,
               (SELECT count(*) FROM audit_log a WHERE a.action = 'staff.link' AND a.subject_id = s.id),
               (SELECT count(*) FROM audit_log a WHERE a.actor_staff_id = s.id AND a.allowed
                  AND a.subject_type = 'student'
                  AND a.subject_id = (SELECT id FROM students WHERE source_id = 'u-s1')),
               (SELECT count(*) FROM audit_log a WHERE a.actor_staff_id = s.id AND NOT a.allowed)
        FROM staff s WHERE s.source_id = 'u-t1' AND s.email = '{ROBIN_UPN}'"""))
    [(tenant, aad, role, linked, read_avery, refused)] = rows
    assert (tenant, aad, role, linked) == (TENANT_ID, ROBIN_AAD, "teacher", 1)
    assert read_avery >= 1 and refused >= 1, "Avery's read and the refused look-ups are audited"
