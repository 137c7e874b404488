"""The background job behind *Install* (#24.3, domain.teams_install_jobs), against the fake Graph over TLS (real msal)
and the demo district on real PostgreSQL: through the running bot the press answers while Graph is held and the
report reaches the admin's 1:1 chat when Graph lets go; a person Graph lists only some time after the install is asked
again with backoff and installed (one it never lists within the wait is reported by name); a replica that stalls past
its lease is taken over, the other replica installs only who was left and the stalled one writes nothing when it
wakes; a job is given up after three claims, naming who was done and who was not tried; an admin who lost the role
before the job ran installs nothing; the report is sent once even when the relay dies after Teams accepted it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from bot.cards.teams_install import report_card
from devtools.fakes.activities import MEGAN, activity
from devtools.fakes.connector import FakeConnector
from devtools.fakes.graph import CLIENT_ID, CLIENT_SECRET, TENANT
from devtools.fakes.graph_teams import FakeTeamsApps
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain import teams_install_jobs
from domain.outbox import SendJournal
from domain.reach import Reachability
from domain.seed.facts import DEMO
from domain.teams_install import ListingWait
from domain.teams_install_jobs import InstallNoticeRelay
from tests.followups.conftest import CATALOG_ID
from tests.followups.test_teams_install import NOW, ReportSink, _world, client, jobs_for
from tests.support.alerts import FAST, FakeClock, World
from tests.support.app_client import bot_settings, start_bot
from tests.support.crash import Crash, crash_at
from tests.support.emergencies import card_texts


async def rows(sessions: Any, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with sessions() as s:
        return [tuple(r) for r in await s.execute(text(sql), params)]


async def school_staff(sessions: Any) -> list[tuple[int, str, str, str]]:
    """Megan's school's staff who get alerts, briefs or nurse requests: id, name, AAD id (or e-mail), e-mail."""
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in await rows(
        sessions, "SELECT id, display_name, coalesce(aad_object_id, email), email FROM staff WHERE active AND"
                  " role IN ('teacher', 'coach', 'nurse', 'admin') AND school_id = (SELECT school_id FROM staff"
                  " WHERE email = :m) ORDER BY display_name, id", m=DEMO.megan.email)]


async def directory(sessions: Any, connector: RateLimitedConnector, graph: FakeTeamsApps) -> World:
    """The demo world of test_teams_install, with every staff member of Megan's school in Graph's directory."""
    world = await _world(sessions, connector)
    for _, _, address, email in await school_staff(sessions):
        graph.add_user(address, email)
    return world


def install_path(address: str) -> str:
    return f"/v1.0/users/{address}/teamwork/installedApps"


def listings_of(graph: FakeTeamsApps, address: str) -> int:
    return len([r for r in graph.graph_requests("GET") if r.path == install_path(address)])


async def test_a_person_graph_lists_late_is_asked_again_with_backoff_and_one_never_listed_is_named(
        demo_sessions: Any, connector: RateLimitedConnector, graph: FakeTeamsApps) -> None:
    world = await directory(demo_sessions, connector, graph)
    graph.users[DEMO.adele.aad_object_id].listing_lag = 3  # Graph lists her install on the 4th look
    graph.users[DEMO.patti.aad_object_id].listing_lag = 1000  # ...and Patti's not within the wait
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        await asyncio.sleep(0)

    graph_client = client(graph)
    wait = ListingWait(total_s=30.0, first_s=2.0, cap_s=10.0)  # 2, 4, 8, 10 (24 s): recorded, not slept
    reach = Reachability(demo_sessions, clock=world.clock)
    jobs = jobs_for(demo_sessions, graph_client, reach, wait=wait)
    jobs.installer._sleep = sleep
    megan = await world.actor(DEMO.megan.email)
    try:
        queued = await jobs.start(megan, "late-listing-01", via="test")
        assert await jobs.run_due() == 1
        assert listings_of(graph, DEMO.adele.aad_object_id) == 4
        assert listings_of(graph, DEMO.patti.aad_object_id) == 5  # the first look and one after each pause
        assert sorted(pauses) == sorted([2.0, 4.0, 8.0, 2.0, 4.0, 8.0, 10.0])  # Adele's 3 waits, Patti's 4
        sink = ReportSink()
        assert await InstallNoticeRelay(demo_sessions, sink).tick() == 1
        [(_, report)] = sink.sent
        assert len(report.results) == queued.people
        lines = card_texts(report_card(report))
        assert f"• {DEMO.adele.display_name} (installed)" in lines
        [patti] = [line for line in lines if line.startswith(f"• {DEMO.patti.display_name}: ")]
        assert patti == (f"• {DEMO.patti.display_name}: installed, but Graph had not listed it after 24 seconds; "
                         "Faraday will reach them once Teams reports the install (ask for reachability later)")
        assert await rows(demo_sessions, "SELECT s.email FROM conversation_references c JOIN staff s ON s.id ="
                                         " c.staff_id WHERE c.conversation_id = :c",
                          c=FakeTeamsApps.chat_id(graph.users[DEMO.adele.aad_object_id])) == [(DEMO.adele.email,)]
    finally:
        await graph_client.close()


def test_the_listing_wait_is_about_two_minutes_by_default() -> None:
    wait = ListingWait()
    assert wait.pauses() == [2.0, 4.0, 8.0, 16.0, 20.0, 20.0, 20.0, 20.0]
    assert wait.describe() == "2 minutes"


async def test_a_replica_stalled_past_its_lease_is_taken_over_and_writes_nothing_when_it_wakes(
        demo_sessions: Any, connector: RateLimitedConnector, graph: FakeTeamsApps) -> None:
    world = await directory(demo_sessions, connector, graph)
    graph_client = client(graph)
    reach = Reachability(demo_sessions, clock=world.clock)
    lease = timedelta(minutes=5)
    first = jobs_for(demo_sessions, graph_client, reach, lease=lease, clock=lambda: NOW)
    wake, waiting = asyncio.Event(), asyncio.Event()

    async def stall(seconds: float) -> None:  # the first replica freezes while it waits for a late listing
        waiting.set()
        await wake.wait()

    first.installer._sleep = stall
    megan = await world.actor(DEMO.megan.email)
    queued = await first.start(megan, "takeover-key-01", via="test")
    people = (await rows(demo_sessions, "SELECT people FROM teams_install_jobs"))[0][0]
    assert len(people) >= 3 and queued.people == len(people)
    late = people[1]
    graph.users[late["address"].lower()].listing_lag = 1
    audited_sql = "SELECT subject_id FROM audit_log WHERE action = 'staff.teams_install' ORDER BY subject_id"
    others = sorted((p["staff_id"],) for p in people if p is not late)
    stalled = asyncio.create_task(first.run_due())
    try:
        while not waiting.is_set() or await rows(demo_sessions, audited_sql) != others:
            await asyncio.sleep(0.02)  # everyone but the late person written; the replica frozen on them
        within = jobs_for(demo_sessions, graph_client, reach, lease=lease, clock=lambda: NOW + timedelta(minutes=1))
        assert await within.run_due() == 0, "within the lease nobody else runs it"
        assert await rows(demo_sessions, "SELECT status, attempts FROM teams_install_jobs") == [("running", 1)]

        taken = jobs_for(demo_sessions, graph_client, reach, lease=lease,
                         clock=lambda: NOW + lease * 2)  # the stalled replica's lease has run out
        assert await taken.run_due() == 1
        assert await rows(demo_sessions, "SELECT status, attempts FROM teams_install_jobs") == [("done", 2)]
        posts = [r.path for r in graph.graph_requests("POST")]
        for person in people:  # only the person left was asked of Graph again
            assert posts.count(install_path(person["address"])) == (2 if person is late else 1), person["name"]

        wake.set()  # the stalled replica wakes, finds the installation listed now, and loses the fence
        assert await stalled == 1
        assert await rows(demo_sessions, audited_sql) == sorted((p["staff_id"],) for p in people), \
            "one audit row per person: the stalled replica wrote nothing"
        assert await rows(demo_sessions, "SELECT status, attempts FROM teams_install_jobs") == [("done", 2)]
        sink = ReportSink()
        assert await InstallNoticeRelay(demo_sessions, sink).tick() == 1  # one notice
        [(_, report)] = sink.sent
        assert {(r.staff_id, r.outcome) for r in report.results} == {
            (p["staff_id"], "already installed" if p is late else "installed") for p in people}
    finally:
        wake.set()
        if not stalled.done():
            stalled.cancel()
        await graph_client.close()


async def test_a_job_claimed_three_times_is_given_up_naming_who_was_done_and_who_was_not_tried(
        demo_sessions: Any, connector: RateLimitedConnector, graph: FakeTeamsApps) -> None:
    world = await directory(demo_sessions, connector, graph)
    graph_client = client(graph)
    reach = Reachability(demo_sessions, clock=world.clock)
    jobs = jobs_for(demo_sessions, graph_client, reach, clock=lambda: NOW)
    try:
        await jobs.start(await world.actor(DEMO.megan.email), "give-up-key-01", via="test")
        for minutes in (0, 6, 12):  # three replicas in turn die mid-job
            async with demo_sessions() as session, session.begin():
                at = NOW + timedelta(minutes=minutes)
                await session.execute(teams_install_jobs._CLAIM, {"now": at, "until": at + timedelta(minutes=5)})
        last = jobs_for(demo_sessions, graph_client, reach, clock=lambda: NOW + timedelta(minutes=18))
        assert await last.run_due() == 1
        assert not graph.graph_requests("POST"), "given up: Graph is not asked"
        sink = ReportSink()
        assert await InstallNoticeRelay(demo_sessions, sink).tick() == 1
        [(_, report)] = sink.sent
        lines = card_texts(report_card(report))
        assert lines[0].startswith("Faraday is installed for 0 of")
        assert "The install did not finish: the install was stopped after 3 tries." in lines
        assert all(r.detail == "not tried" for r in report.results)
    finally:
        await graph_client.close()


async def test_an_admin_who_lost_the_role_before_the_job_ran_installs_nothing(
        demo_sessions: Any, connector: RateLimitedConnector, graph: FakeTeamsApps) -> None:
    world = await _world(demo_sessions, connector)
    graph_client = client(graph)
    reach = Reachability(demo_sessions, clock=world.clock)
    jobs = jobs_for(demo_sessions, graph_client, reach)
    megan = await world.actor(DEMO.megan.email)
    try:
        await jobs.start(megan, "demoted-key-01", via="test")
        async with demo_sessions() as session, session.begin():
            await session.execute(text("UPDATE staff SET role = 'teacher' WHERE id = :id"), {"id": megan.staff_id})
        assert await jobs.run_due() == 1
        assert not graph.graph_requests()
        sink = ReportSink()
        assert await InstallNoticeRelay(demo_sessions, sink).tick() == 1
        assert sink.sent[0][1].problem == "you are no longer an administrator; nothing more was installed"
    finally:
        await graph_client.close()


@pytest.fixture
async def bot_connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector().start()
    yield fake
    await fake.close()


async def test_through_the_running_bot_the_press_answers_while_graph_is_held_and_the_report_comes_to_the_admin(
        demo_db_url: str, demo_sessions: Any, graph: FakeTeamsApps, bot_connector: FakeConnector) -> None:
    for _, _, address, email in await school_staff(demo_sessions):
        graph.add_user(address, email)
    graph.users[DEMO.adele.aad_object_id].listing_lag = 1  # listed a moment (one 2 s pause) after the install
    settings = bot_settings(demo_db_url, "", openai_api_key="", ms_tenant_id=TENANT, ms_client_id=CLIENT_ID,
                            ms_client_secret=CLIENT_SECRET, ms_authority_host=graph.url,
                            graph_base_url=f"{graph.url}/v1.0", graph_ca_file=str(graph.ca_file),
                            teams_app_catalog_id=CATALOG_ID, teams_install_wait_s=5.0, alert_relay_poll_s=0.1)
    bot = await start_bot(settings, bot_connector)
    try:
        await bot.post(activity(bot_connector.url, aad=MEGAN, text="install faraday for unreachable staff"))
        await bot_connector.wait_for(lambda acts: any(a.get("attachments") for a in acts))
        [confirm] = [a["attachments"][0]["content"] for a in bot_connector.messages() if a.get("attachments")]
        press = next(a["data"] for a in confirm["actions"] if a["data"]["action"] == "reach.install")
        count = int(card_texts(confirm)[0].split(" for ")[1].split()[0])

        release = graph.hold_installs()  # a slow Graph: no install answers until released
        started = asyncio.get_running_loop().time()
        await bot.post(activity(bot_connector.url, aad=MEGAN, value=press))
        await bot_connector.wait_for(lambda acts: any("Installing Faraday" in (a.get("text") or "") for a in acts))
        assert asyncio.get_running_loop().time() - started < 15  # Teams' re-send window
        turn = next(a for a in bot_connector.messages() if "Installing Faraday" in (a.get("text") or ""))
        assert turn["text"] == f"Installing Faraday for {count} people; I'll message you when it's done."
        while not graph.graph_requests("POST"):  # the job runs in the background, blocked on Graph
            await asyncio.sleep(0.05)
        await bot.post(activity(bot_connector.url, aad=MEGAN, value=press))  # pressed again while it runs
        await bot_connector.wait_for(lambda acts: any("Already installing" in (a.get("text") or "") for a in acts))
        assert not [a for a in bot_connector.messages() if (a.get("summary") or "").startswith("Faraday install")]
        release.set()
        await bot_connector.wait_for(lambda acts: any(
            (a.get("summary") or "").startswith("Faraday install finished") for a in acts), timeout=60)
        [notice] = [a for a in bot_connector.messages() if (a.get("summary") or "").startswith("Faraday install")]
        lines = card_texts(notice["attachments"][0]["content"])
        assert notice["summary"] == f"Faraday install finished: {count} of {count} reachable", "|".join(lines)
        assert notice["_conversation"] == turn["_conversation"]  # Megan's 1:1 chat
        lines = card_texts(notice["attachments"][0]["content"])
        assert f"• {DEMO.adele.display_name} (installed)" in lines  # listed late, asked again, installed
        async with demo_sessions() as s:
            assert await s.scalar(text("SELECT count(*) FROM teams_install_jobs")) == 1
            assert await s.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'staff.teams_install'")) \
                == count
    finally:
        await bot.close()
        await bot.server.close()


async def test_an_unexpected_error_for_one_person_is_reported_and_the_others_are_still_installed(
        demo_sessions: Any, connector: RateLimitedConnector, graph: FakeTeamsApps) -> None:
    world = await directory(demo_sessions, connector, graph)
    graph_client = client(graph)
    jobs = jobs_for(demo_sessions, graph_client, Reachability(demo_sessions, clock=world.clock))
    real = jobs.installer.install_one

    async def install_one(person: Any, route: Any, gate: Any = None) -> Any:
        if person.staff_id == (await world.actor(DEMO.adele.email)).staff_id:
            raise KeyError("a bug for this one person")
        return await real(person, route, gate)

    jobs.installer.install_one = install_one  # type: ignore[method-assign]
    try:
        queued = await jobs.start(await world.actor(DEMO.megan.email), "one-bug-key-01", via="test")
        assert await jobs.run_due() == 1
        sink = ReportSink()
        assert await InstallNoticeRelay(demo_sessions, sink).tick() == 1
        [(_, report)] = sink.sent
        assert [(r.name, r.detail) for r in report.not_reached] == [
            (DEMO.adele.display_name, "an unexpected error (KeyError); try again later")]
        assert len(report.reached) == queued.people - 1
        assert await rows(demo_sessions, "SELECT reason FROM audit_log WHERE action = 'staff.teams_install' AND"
                                         " subject_id = :a", a=(await world.actor(DEMO.adele.email)).staff_id) == [
            ("failed: an unexpected error (KeyError); try again later",)]
    finally:
        await graph_client.close()


async def test_a_relay_killed_after_teams_accepted_the_report_does_not_send_it_twice(
        demo_sessions: Any, connector: RateLimitedConnector, graph: FakeTeamsApps, redis_url: str) -> None:
    world = await directory(demo_sessions, connector, graph)
    graph_client = client(graph)
    jobs = jobs_for(demo_sessions, graph_client, Reachability(demo_sessions, clock=world.clock))
    try:
        await jobs.start(await world.actor(DEMO.megan.email), "journal-key-01", via="test")
        assert await jobs.run_due() == 1
    finally:
        await graph_client.close()
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=1))
    sink = ReportSink()
    first = Redis.from_url(redis_url)
    try:
        with pytest.raises(Crash):
            await InstallNoticeRelay(demo_sessions, sink, config=FAST, clock=clock, fault=crash_at("after_send"),
                                     journal=SendJournal(first, InstallNoticeRelay.journal_key)).tick()
    finally:
        await first.aclose()
    notices = "SELECT status, attempts, sent_activity_id FROM teams_install_notices"
    assert len(sink.sent) == 1 and await rows(demo_sessions, notices) == [("sending", 1, None)]
    clock.advance(seconds=FAST.lease.total_seconds() + 1)  # the dead relay's lease expires
    second = Redis.from_url(redis_url)
    try:
        restarted = InstallNoticeRelay(demo_sessions, sink, config=FAST, clock=clock,
                                       journal=SendJournal(second, InstallNoticeRelay.journal_key))
        assert await restarted.tick() == 1 and await restarted.tick() == 0
    finally:
        await second.aclose()
    assert len(sink.sent) == 1, "the restarted relay found the journal entry and sent nothing"
    assert await rows(demo_sessions, notices) == [("sent", 2, "a-1")]
    assert await rows(demo_sessions, "SELECT count(*) FROM audit_log WHERE action = 'staff.teams_install.notify'") \
        == [(1,)]
