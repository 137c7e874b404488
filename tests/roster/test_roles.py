"""Staff roles from a small CSV (``python -m bot roster roles FILE``): applied whole, locked against later imports,
audited; any bad row is reported by file and line and nothing changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from domain.models import AuditLog, Role, Staff
from domain.roster.roles import VIA, apply_roles
from domain.roster.service import import_roster
from tests.roster.conftest import FIXTURES, snapshot
from tests.roster.test_cli import run_cli

HANDMADE = FIXTURES / "handmade_oneroster_1_2"


def roles_file(tmp_path: Path, body: str, *, name: str = "roles.csv", bom: bool = True) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.replace("\n", "\r\n").encode())
    return path


async def roles_and_audit(sessions) -> tuple[dict[str, tuple[Role, bool]], list[tuple[int | None, str, str | None]]]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        staff = {r.source_id: (r.role, r.role_locked) for r in (await session.execute(
            select(Staff).where(Staff.source_id.is_not(None)))).scalars()}
        audit = [(a.subject_id, a.via, a.reason) for a in (await session.execute(
            select(AuditLog).where(AuditLog.action == "staff.role.set").order_by(AuditLog.id))).scalars()]
    return staff, audit


async def test_a_roles_file_sets_and_locks_every_role_audited_and_a_reimport_keeps_them(sessions, settings, tmp_path):
    await import_roster(sessions, settings, HANDMADE, dry_run=False, all_classes=False)
    path = roles_file(tmp_path, '# PE department roles, autumn\nUPN,Role,note\n'
                                'JOkafor@Lakeview.example,nurse,"moved to the health office"\n'
                                'dvega@lakeview.example , ADMIN\n\n'
                                'rmarsh@lakeview.example,coach\n')
    report = await apply_roles(sessions, path, dry_run=False)
    assert report.errors == []
    assert sorted(report.changed) == [("Dana Vega", "admin", "admin"), ("Jordan Okafor", "teacher", "nurse"),
                                      ("Robin Marsh", "teacher", "coach")]
    staff, audit = await roles_and_audit(sessions)
    assert staff["u-t2"] == (Role.nurse, True) and staff["u-t1"] == (Role.coach, True)
    assert staff["u-a1"] == (Role.admin, True)  # the same role, now kept by later imports
    async with sessions() as session:
        ids = dict((await session.execute(text("SELECT source_id, id FROM staff WHERE source_id LIKE 'u-%'"))).all())
    assert sorted(audit) == sorted([(ids["u-t2"], VIA, "teacher -> nurse (roles.csv line 3)"),
                                    (ids["u-a1"], VIA, "admin -> admin (roles.csv line 4)"),
                                    (ids["u-t1"], VIA, "teacher -> coach (roles.csv line 6)")])

    again = await apply_roles(sessions, path, dry_run=False)
    assert (again.changed, again.unchanged) == ([], 3)  # already so: nothing written, nothing audited
    reimport = await import_roster(sessions, settings, HANDMADE, dry_run=False, all_classes=False)
    assert reimport.counts["staff"].updated == 0
    assert await roles_and_audit(sessions) == (staff, audit)


@pytest.mark.parametrize(("body", "errors"), [
    ("email,role\njokafor@lakeview.example,nurse\nplind@lakeview.example,janitor\n",
     [(3, "role 'janitor' is not one of teacher, coach, nurse, admin")]),
    ("email,role\njokafor@lakeview.example,nurse\nnobody@lakeview.example,coach\n",
     [(3, "no active staff member with the e-mail or sign-in name 'nobody@lakeview.example'")]),
    ("email,role\njokafor@lakeview.example,nurse\nJOKAFOR@lakeview.example,coach\n",
     [(3, "'jokafor@lakeview.example' is already on line 2")]),
    ("email,role\njokafor@lakeview.example,nurse\n,coach\nplind@lakeview.example,\n",
     [(3, "email is empty"), (4, "role '' is not one of teacher, coach, nurse, admin")]),
    ("person,role\njokafor@lakeview.example,nurse\n", [(1, "missing required column(s): email (or upn, username)")]),
    ('email,role\njokafor@lakeview.example,"nurse\n', [(2, "unreadable CSV: unexpected end of data")]),
    ("", [(1, "the file is empty (no header row)")]),
])
async def test_any_bad_row_is_reported_by_line_and_nothing_changes(sessions, settings, tmp_path, body, errors):
    await import_roster(sessions, settings, HANDMADE, dry_run=False, all_classes=False)
    before = await roles_and_audit(sessions), await snapshot(sessions)
    report = await apply_roles(sessions, roles_file(tmp_path, body), dry_run=False)
    assert [(e.file, e.line, e.message) for e in report.errors] == [("roles.csv", line, m) for line, m in errors]
    assert report.changed == []
    assert "nothing was changed" in report.as_text()
    assert (await roles_and_audit(sessions), await snapshot(sessions)) == before


async def test_a_dry_run_reports_the_changes_and_writes_nothing(sessions, settings, tmp_path):
    await import_roster(sessions, settings, HANDMADE, dry_run=False, all_classes=False)
    before = await roles_and_audit(sessions)
    report = await apply_roles(sessions, roles_file(tmp_path, "email,role\njokafor@lakeview.example,nurse\n"),
                               dry_run=True)
    assert report.changed == [("Jordan Okafor", "teacher", "nurse")] and "would change" in report.as_text()
    assert await roles_and_audit(sessions) == before


async def test_an_sds_username_matches_with_the_upn_domain(sessions, settings, tmp_path):
    await import_roster(sessions, settings, FIXTURES / "sds_v1_100_users", dry_run=False, all_classes=True)
    path = roles_file(tmp_path, "upn,role\ncbeane@contoso-schools.example,coach\n", bom=False)
    without = await apply_roles(sessions, path, dry_run=False)
    assert [e.line for e in without.errors] == [2]
    report = await apply_roles(sessions, path, dry_run=False, upn_domain="contoso-schools.example")
    assert report.errors == [] and report.changed == [("Craig Beane", "teacher", "coach")]


async def test_the_cli_applies_a_good_file_and_exits_2_on_a_bad_one(demo_db_url, sessions, settings, tmp_path):
    await import_roster(sessions, settings, HANDMADE, dry_run=False, all_classes=False)
    bad = roles_file(tmp_path, "email,role\njokafor@lakeview.example,nurse\nplind@lakeview.example,dean\n",
                     name="bad.csv")
    before = await roles_and_audit(sessions)
    result = run_cli(demo_db_url, "roles", str(bad), "--json")
    assert result.returncode == 2, result.stderr
    assert json.loads(result.stdout)["errors"] == [
        {"file": "bad.csv", "line": 3, "message": "role 'dean' is not one of teacher, coach, nurse, admin"}]
    assert "Traceback" not in result.stderr
    assert await roles_and_audit(sessions) == before

    good = roles_file(tmp_path, "email,role\njokafor@lakeview.example,nurse\n", name="good.csv")
    result = run_cli(demo_db_url, "roles", str(good))
    assert result.returncode == 0, result.stderr
    assert "1 role(s) changed" in result.stdout and "Jordan Okafor: teacher -> nurse" in result.stdout
    staff, _ = await roles_and_audit(sessions)
    assert staff["u-t2"] == (Role.nurse, True)
