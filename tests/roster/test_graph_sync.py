"""The Graph education sync against a fake Microsoft identity platform + Graph over TLS: real msal and aiohttp,
paging by @odata.nextLink, Retry-After honoured on 429/503, the same diff/apply/report as the CSV import."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from devtools.fakes.graph import CLIENT_ID, CLIENT_SECRET, TENANT
from devtools.fakes.graph_education import FakeEducationGraph
from domain.models import Guardian, SchoolClass, Staff, Student
from domain.roster.graph import GraphEducation, graph_config
from domain.roster.service import sync_graph
from domain.settings import Settings
from tests.roster.conftest import snapshot

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[FakeEducationGraph]:
    fake = await FakeEducationGraph(tmp_path, page_size=2).start()
    fake.schools = [{"id": "sch-1", "displayName": "Ridgeway High", "lowestGrade": "9", "highestGrade": "12",
                     "externalId": "RH"}]
    fake.classes["sch-1"] = [
        {"id": "cls-pe9", "displayName": "PE 9 - Period 2", "externalName": "PE 9",
         "course": {"subject": "Physical Education", "displayName": "PE 9"}, "grade": "9",
         "term": {"externalId": "T1", "displayName": "Fall 2026", "startDate": "2026-08-24", "endDate": "2026-12-18"}},
        {"id": "cls-team", "displayName": "Team Sports", "course": {"subject": "Physical Education"}, "grade": "10"},
        {"id": "cls-bio", "displayName": "Biology", "course": {"subject": "Science", "displayName": "Biology"}},
    ]
    fake.add_user("t-1", "teacher", "Lee", "Hart", "lhart@ridgeway.example")
    fake.add_user("t-2", "teacher", "Sam", "Okoro", "sokoro@ridgeway.example")
    for n, (given, surname) in enumerate([("Ari", "Bell"), ("Bo", "Chen"), ("Cy", "Diaz"), ("Di", "Ekker"),
                                          ("Ed", "Fox")], start=1):
        fake.add_user(f"st-{n}", "student", given, surname, f"st{n}@students.ridgeway.example",
                      student={"studentNumber": f"RH{n:04d}", "birthDate": f"2011-0{n}-15", "grade": "9",
                               "gender": "female" if n % 2 else "male"})
    fake.users["st-1"]["relatedContacts"] = [{"id": "rc-1", "displayName": "Pat Bell", "relationship": "parent",
                                              "emailAddress": "pat.bell@family.example", "mobilePhone": "555-0111"}]
    fake.members = {"cls-pe9": ["t-1", "st-1", "st-2", "st-3"], "cls-team": ["t-2", "st-4"],
                    "cls-bio": ["t-2", "st-5"]}
    yield fake
    await fake.close()


@pytest.fixture
def graph_settings(graph: FakeEducationGraph, demo_db_url: str) -> Settings:
    return Settings(database_url=demo_db_url, ms_tenant_id=TENANT, ms_client_id=CLIENT_ID,
                    ms_client_secret=CLIENT_SECRET, ms_authority_host=graph.url,
                    graph_base_url=f"{graph.url}/v1.0", graph_ca_file=str(graph.ca_file))


async def test_a_graph_sync_imports_the_pe_classes_page_by_page_and_a_second_sync_changes_nothing(
        sessions, graph, graph_settings):
    report = await sync_graph(sessions, graph_settings, dry_run=False, all_classes=False)
    assert report.errors == []
    assert report.format == "graph"
    assert {k: c.created for k, c in report.counts.items()} == {
        "schools": 1, "staff": 2, "classes": 2, "students": 4, "enrollments": 4, "guardians": 1}
    paged = [r for r in graph.graph_requests("GET") if "$skiptoken" in r.query]
    assert {r.path for r in paged} >= {"/v1.0/education/users", "/v1.0/education/classes/cls-pe9/members"}
    assert not any(r.path.endswith("cls-bio/members") for r in graph.requests)  # out of scope: never fetched
    async with sessions() as session:
        ari = (await session.execute(select(Student).where(Student.source_id == "st-1"))).scalar_one()
        lee = (await session.execute(select(Staff).where(Staff.source_id == "t-1"))).scalar_one()
        pe9 = (await session.execute(select(SchoolClass).where(SchoolClass.source_id == "cls-pe9"))).scalar_one()
        contact = (await session.execute(select(Guardian).where(Guardian.student_id == ari.id))).scalar_one()
    assert (ari.student_number, str(ari.date_of_birth), ari.sex, ari.grade) == ("RH0001", "2011-01-15", "F", 9)
    assert (lee.sis_username, lee.email, pe9.teacher_id, pe9.subject) == \
        ("lhart@ridgeway.example", "lhart@ridgeway.example", lee.id, "PE")
    assert (pe9.term_name, str(pe9.term_starts_on), str(pe9.term_ends_on)) == ("Fall 2026", "2026-08-24", "2026-12-18")
    assert (contact.name, contact.relationship_to_student, contact.phone) == ("Pat Bell", "parent", "555-0111")

    before = await snapshot(sessions)
    again = await sync_graph(sessions, graph_settings, dry_run=False, all_classes=False)
    assert again.errors == [] and not again.changed
    assert {k: v for k, v in (await snapshot(sessions)).items() if k != "roster_imports"} == \
        {k: v for k, v in before.items() if k != "roster_imports"}


async def test_throttling_is_retried_after_the_time_graph_asks_for(sessions, graph, graph_settings):
    graph.fail_next("GET", "/education/users", 429, retry_after="7", code="TooManyRequests")
    graph.fail_next("GET", "/members", 503, count=2, retry_after="3", code="ServiceUnavailable")
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    client = GraphEducation(graph_config(graph_settings), sleep=sleep)
    try:
        report = await sync_graph(sessions, graph_settings, dry_run=False, all_classes=False, client=client)
    finally:
        await client.close()
    assert report.errors == []
    assert pauses == [7.0, 3.0, 3.0]
    assert report.counts["students"].created == 4


async def test_a_changed_tenant_deactivates_who_left_and_applies_moves(sessions, graph, graph_settings):
    await sync_graph(sessions, graph_settings, dry_run=False, all_classes=False)
    graph.members["cls-pe9"] = ["t-1", "st-1", "st-3", "st-6"]  # st-2 left; st-6 is new
    graph.members["cls-team"] = ["t-1", "st-4"]  # the teacher changed
    graph.add_user("st-6", "student", "Flo", "Gray", "st6@students.ridgeway.example",
                   student={"studentNumber": "RH0006", "grade": "9"})
    report = await sync_graph(sessions, graph_settings, dry_run=False, all_classes=False)
    assert report.counts["students"].as_dict() == {"created": 1, "updated": 0, "deactivated": 1, "unchanged": 3}
    assert report.counts["classes"].updated == 1
    assert report.counts["staff"].deactivated == 1  # t-2 teaches no PE class any more
    async with sessions() as session:
        left = (await session.execute(select(Student).where(Student.source_id == "st-2"))).scalar_one()
    assert left.active is False


async def test_graph_refusing_the_app_is_an_error_naming_the_permission_and_nothing_is_written(
        sessions, graph, graph_settings):
    before = await snapshot(sessions)
    graph.fail_next("GET", "/education/schools", 403, code="Authorization_RequestDenied")
    denied = await sync_graph(sessions, graph_settings, dry_run=False, all_classes=False)
    assert "EduRoster.Read.All" in denied.errors[0].message
    graph.refuse_credentials = True
    refused = await sync_graph(sessions, graph_settings.model_copy(update={"ms_client_secret": SecretStr("wrong")}),
                               dry_run=False, all_classes=False)
    assert refused.errors[0].file == "sign-in"
    assert await snapshot(sessions) == before


async def test_python_m_bot_roster_sync_graph_prints_the_report(demo_db_url, graph, graph_settings):
    env = {**os.environ, "DATABASE_URL": demo_db_url, "REDIS_URL": "", "MS_TENANT_ID": TENANT,
           "MS_CLIENT_ID": CLIENT_ID, "MS_CLIENT_SECRET": CLIENT_SECRET, "MS_AUTHORITY_HOST": graph.url,
           "GRAPH_BASE_URL": f"{graph.url}/v1.0", "GRAPH_CA_FILE": str(graph.ca_file)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "roster", "sync-graph", "--all-classes", "--json", cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()[-2000:]
    report = json.loads(stdout)
    assert report["format"] == "graph" and report["counts"]["classes"]["created"] == 3


async def test_the_scheduled_sync_runs_then_waits_and_a_replica_skips_when_another_just_synced(
        sessions, graph, graph_settings):
    from datetime import UTC, datetime

    from domain.roster.schedule import scheduled_graph_sync
    from domain.roster.service import last_import

    settings = graph_settings.model_copy(update={"roster_graph_sync_minutes": 60.0})
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    first = await scheduled_graph_sync(sessions, settings, sleep=sleep, runs=2,
                                       now=lambda: datetime(2099, 1, 1, tzinfo=UTC))  # long after: both turns sync
    assert (first, waits) == (2, [3600.0])
    synced_at = (await last_import(sessions)).at
    calls = len(graph.graph_requests("GET"))
    other_replica = await scheduled_graph_sync(sessions, settings, sleep=sleep, runs=1, now=lambda: synced_at)
    assert other_replica == 0 and len(graph.graph_requests("GET")) == calls  # skipped: no Graph call at all
