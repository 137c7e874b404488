"""The SharePoint sync as admins and the schedule run it: the Teams command (``knowledge sync sharepoint SITE FOLDER``
approves and queues the sync; alone, every approved folder) answers at once and the sync runs as a background job
that one replica claims; the admin is told the result in their 1:1 chat (counts, each file not read by name).
Refused for teachers before Graph is asked, a bad site or folder answered at once with nothing queued, and every
start, sync, document change and notice audited (the admin, or the process for the schedule, the command line and
the notice). A slow library: the turn answers while the sync is still downloading. Fake Graph over TLS, real
PostgreSQL with the demo district, real parsers, the real bot and alert runner for the end-to-end test."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from bot.cards.sharepoint import notice_text
from bot.commands.knowledge import NO_GRAPH, knowledge_command
from domain.outbox import DeliveryError, SendJournal, Sent, Target
from knowledge import sharepoint_jobs
from knowledge.sharepoint import ADMINS_ONLY, SharePointSync
from knowledge.sharepoint_jobs import EVERY_FOLDER, SharePointJobs, SyncNotice, SyncNoticeRelay
from knowledge.sharepoint_schedule import scheduled_sharepoint_sync, sync_due
from tests.knowledge.test_sharepoint_sync import SITE, client, graph, rows  # noqa: F401
from tests.knowledge.test_uploads import people  # noqa: F401
from tests.support import documents as made_files
from tests.support.alerts import FAST, FakeClock
from tests.support.app_client import connector  # noqa: F401
from tests.support.crash import Crash, crash_at
from tests.support.knowledge import CountingEmbedder


@pytest.fixture
def sync(demo_sessions, client) -> SharePointSync:  # type: ignore[no-untyped-def]  # noqa: F811
    return SharePointSync(demo_sessions, CountingEmbedder(), client[0])


@pytest.fixture
def jobs(demo_sessions, sync) -> SharePointJobs:  # type: ignore[no-untyped-def]
    return SharePointJobs(demo_sessions, sync)


class NoticeSink:
    """The relay's sender: records what each admin would get in their 1:1 chat."""

    def __init__(self) -> None:
        self.sent: list[tuple[Target, SyncNotice]] = []

    async def send(self, target: Target, notice: SyncNotice) -> Sent:
        self.sent.append((target, notice))
        return Sent(activity_id=f"a-{len(self.sent)}", conversation_id="c")


async def jobs_state(sessions) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return await rows(sessions, "SELECT j.status, j.attempts, n.status FROM knowledge_sharepoint_jobs j "
                                "LEFT JOIN knowledge_sync_notices n ON n.job_id = j.id ORDER BY j.id")


async def audit_rows(sessions) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return await rows(sessions, "SELECT action, subject_type, actor_staff_id, actor_aad_object_id, via, allowed "
                                "FROM audit_log WHERE via LIKE 'sharepoint:%' ORDER BY id")


async def test_an_admin_connects_a_folder_the_turn_answers_at_once_and_the_result_comes_to_their_chat(
        demo_sessions, graph, jobs, people):  # noqa: F811
    megan = people["megan"]
    outcome = await knowledge_command(f"knowledge sync sharepoint {SITE} Safety", megan, None, jobs)
    assert outcome is not None and outcome.text is not None
    assert outcome.text.startswith(f"Started syncing **{SITE}/Safety**. I'll message you")
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_documents WHERE source = 'sharepoint'") == [(0,)]
    assert not graph.downloads() and await jobs_state(demo_sessions) == [("pending", 0, None)]

    assert await jobs.run_due() == 1
    assert await jobs.run_due() == 0  # nothing else is due
    assert await rows(demo_sessions, "SELECT slug FROM knowledge_documents WHERE source = 'sharepoint' "
                                     "ORDER BY slug") == [("concussion-protocol",), ("concussion-steps",),
                                                          ("field-trip-policy",)]
    assert await jobs_state(demo_sessions) == [("done", 1, "pending")]
    sink = NoticeSink()
    relay = SyncNoticeRelay(demo_sessions, sink)
    assert await relay.tick() == 1 and await relay.tick() == 0  # sent once
    [(target, notice)] = sink.sent
    assert (target.staff_id, target.aad_object_id) == (megan.staff_id, megan.aad_object_id)
    assert notice_text(notice) == f"**{SITE}/Safety**: 3 added, 0 updated, 0 retired, 0 unchanged."
    assert await jobs_state(demo_sessions) == [("done", 1, "sent")]

    audited = await audit_rows(demo_sessions)
    assert audited[0] == ("knowledge.sharepoint.approve", "knowledge_sharepoint_folder", megan.staff_id,
                          megan.aad_object_id, "sharepoint:teams", True)
    assert audited[1] == ("knowledge.sharepoint.sync.start", "knowledge_sharepoint_job", megan.staff_id,
                          megan.aad_object_id, "sharepoint:teams", True)
    assert [a[0] for a in audited[2:]] == ["knowledge.document.add"] * 3 + ["knowledge.sharepoint.sync",
                                                                           "knowledge.sharepoint.sync.notify"]
    assert {a[2] for a in audited[:-1]} == {megan.staff_id}  # the sync ran as the admin who asked
    assert audited[-1] == ("knowledge.sharepoint.sync.notify", "knowledge_sharepoint_job", None, "faraday:relay",
                           "sharepoint:teams", True)
    added = {r[0] for r in await rows(demo_sessions, "SELECT id FROM knowledge_documents WHERE source = 'sharepoint'")}
    assert {r[0] for r in await rows(demo_sessions, "SELECT subject_id FROM audit_log WHERE action = "
                                                    "'knowledge.document.add' AND via = 'sharepoint:teams'")} == added

    graph.put("Safety/broken.docx", b"PK\x03\x04 a damaged Word file")
    graph.delete("Safety/Concussion Steps.docx")
    again = await knowledge_command("knowledge sync sharepoint", megan, None, jobs)  # every approved folder
    assert again is not None and again.text == (
        f"Started syncing **{EVERY_FOLDER}**. I'll message you in our chat when it finishes, with what was added, "
        "updated or retired and any file I could not read.")
    assert await jobs.run_due() == 1 and await relay.tick() == 1
    lines = notice_text(sink.sent[-1][1]).splitlines()
    assert lines[0] == f"**{SITE}/Safety**: 0 added, 0 updated, 1 retired, 0 unchanged."
    assert lines[1].startswith("- not read: broken.docx: ")  # the file that failed, by name, with the reason
    assert [a[0] for a in (await audit_rows(demo_sessions))[7:]] == [
        "knowledge.sharepoint.sync.start", "knowledge.document.remove", "knowledge.sharepoint.sync",
        "knowledge.sharepoint.sync.notify"]
    reasons = await rows(demo_sessions, "SELECT reason FROM audit_log WHERE action IN ('knowledge.sharepoint.sync', "
                                        "'knowledge.sharepoint.sync.notify') ORDER BY id DESC LIMIT 2")
    assert reasons == [("0 added, 0 updated, 1 retired, 1 not read",),  # counts, no file names
                       ("0 added, 0 updated, 1 retired, 0 unchanged, 1 not read",)]


async def test_one_job_per_folder_and_one_replica_runs_it_while_the_library_is_slow(
        demo_sessions, graph, sync, people):  # noqa: F811
    megan = people["megan"]
    replicas = [SharePointJobs(demo_sessions, sync), SharePointJobs(demo_sessions, sync)]
    first = await replicas[0].start(megan, SITE, "Safety/Trips")
    again = await replicas[1].start(megan, SITE, "Safety/Trips")  # asked twice: nothing more is queued
    assert first.job_id is not None and again.job_id is None
    outcome = await knowledge_command(f"knowledge sync sharepoint {SITE} Safety/Trips", megan, None, replicas[1])
    assert outcome is not None and outcome.text is not None and "already under way" in outcome.text
    release = graph.hold_downloads()
    running = asyncio.create_task(replicas[0].run_due())
    while not graph.requests or not [r for r in graph.requests if r.path.startswith("/download/")]:
        await asyncio.sleep(0.05)  # replica 0 is downloading
    assert await replicas[1].run_due() == 0  # claimed: the other replica does not run it too
    assert await jobs_state(demo_sessions) == [("running", 1, None)]
    release.set()
    assert await running == 1
    assert await jobs_state(demo_sessions) == [("done", 1, "pending")]
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_documents WHERE source = 'sharepoint'") == [(1,)]
    assert await rows(demo_sessions, "SELECT count(*) FROM audit_log WHERE action = "
                                     "'knowledge.sharepoint.sync.start'") == [(1,)]


async def test_a_job_a_dead_replica_left_is_taken_over_after_its_lease_and_given_up_after_three_tries(
        demo_sessions, graph, sync, people):  # noqa: F811
    from datetime import UTC, datetime

    megan = people["megan"]
    now = datetime.now(UTC)
    dead = SharePointJobs(demo_sessions, sync, clock=lambda: now)
    await dead.start(megan, SITE, "Safety/Trips")
    async with demo_sessions() as session, session.begin():  # claimed by a replica that then died
        await session.execute(sharepoint_jobs._CLAIM, {"now": now, "until": now + timedelta(minutes=30)})
    assert await dead.run_due() == 0  # within the lease
    later = SharePointJobs(demo_sessions, sync, clock=lambda: now + timedelta(minutes=31))
    assert await later.run_due() == 1
    assert await jobs_state(demo_sessions) == [("done", 2, "pending")]
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_documents WHERE source = 'sharepoint'") == [(1,)]

    await dead.start(megan, SITE, "Safety/Trips")
    for minutes in (0, 31, 62):  # three replicas in turn die mid-sync
        async with demo_sessions() as session, session.begin():
            at = now + timedelta(minutes=minutes)
            await session.execute(sharepoint_jobs._CLAIM, {"now": at, "until": at + timedelta(minutes=30)})
    last = SharePointJobs(demo_sessions, sync, clock=lambda: now + timedelta(minutes=93))
    assert await last.run_due() == 1
    sink = NoticeSink()
    assert await SyncNoticeRelay(demo_sessions, sink, clock=lambda: now + timedelta(minutes=94)).tick() == 2
    stopped = [n for _, n in sink.sent if n.problem]  # the two notices are sent concurrently: in either order
    assert [notice_text(n) for n in stopped] == [
        f"The SharePoint sync of **{SITE}/Safety/Trips** did not run: the sync was stopped after 3 tries."]


class FlakySink(NoticeSink):
    """Teams answers 429 (Retry-After 0) to the first ``failures`` sends."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def send(self, target: Target, notice: SyncNotice) -> Sent:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("throttled", retryable=True, status=429, retry_after=0.0)
        return await super().send(target, notice)


async def notices_state(sessions) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return await rows(sessions, "SELECT status, attempts, sent_activity_id, last_error FROM knowledge_sync_notices "
                                "ORDER BY id")


async def test_a_throttled_notice_is_retried_with_backoff_and_sent_once(
        demo_sessions, graph, jobs, people):  # noqa: F811
    await jobs.start(people["megan"], SITE, "Safety/Trips")
    assert await jobs.run_due() == 1
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=1))
    sink = FlakySink(failures=1)
    relay = SyncNoticeRelay(demo_sessions, sink, config=FAST, clock=clock)
    assert await relay.tick() == 1 and sink.sent == []
    assert await notices_state(demo_sessions) == [("pending", 1, None, "429: throttled")]
    assert await relay.tick() == 0  # not due before its backoff
    clock.advance(seconds=FAST.backoff_cap_s + 1)
    assert await relay.tick() == 1 and await relay.tick() == 0
    assert len(sink.sent) == 1 and await notices_state(demo_sessions) == [("sent", 2, "a-1", None)]
    assert await rows(demo_sessions, "SELECT count(*) FROM audit_log WHERE action = "
                                     "'knowledge.sharepoint.sync.notify'") == [(1,)]


async def test_a_relay_killed_after_teams_accepted_the_notice_does_not_tell_the_admin_twice(
        demo_sessions, graph, jobs, people, redis_url):  # noqa: F811
    await jobs.start(people["megan"], SITE, "Safety/Trips")
    assert await jobs.run_due() == 1
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=1))
    sink = NoticeSink()
    first = Redis.from_url(redis_url)
    try:
        with pytest.raises(Crash):
            await SyncNoticeRelay(demo_sessions, sink, config=FAST, clock=clock, fault=crash_at("after_send"),
                                  journal=SendJournal(first, SyncNoticeRelay.journal_key)).tick()
    finally:
        await first.aclose()
    assert len(sink.sent) == 1 and await notices_state(demo_sessions) == [("sending", 1, None, None)]
    clock.advance(seconds=FAST.lease.total_seconds() + 1)  # the dead relay's lease expires
    second = Redis.from_url(redis_url)
    try:
        restarted = SyncNoticeRelay(demo_sessions, sink, config=FAST, clock=clock,
                                    journal=SendJournal(second, SyncNoticeRelay.journal_key))
        assert await restarted.tick() == 1 and await restarted.tick() == 0
    finally:
        await second.aclose()
    assert len(sink.sent) == 1, "the restarted relay found the journal entry and sent nothing"
    assert await notices_state(demo_sessions) == [("sent", 2, "a-1", None)]
    assert await rows(demo_sessions, "SELECT count(*) FROM audit_log WHERE action = "
                                     "'knowledge.sharepoint.sync.notify'") == [(1,)]


async def test_an_admin_who_lost_the_role_before_the_job_ran_syncs_nothing(
        demo_sessions, graph, jobs, people):  # noqa: F811
    megan = people["megan"]
    await jobs.start(megan, SITE, "Safety")
    async with demo_sessions() as session, session.begin():
        await session.execute(text("UPDATE staff SET role = 'teacher' WHERE id = :id"), {"id": megan.staff_id})
    assert await jobs.run_due() == 1
    assert not graph.downloads()
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_documents WHERE source = 'sharepoint'") == [(0,)]
    sink = NoticeSink()
    await SyncNoticeRelay(demo_sessions, sink).tick()
    assert "you are no longer an administrator" in notice_text(sink.sent[0][1])


async def test_a_teacher_is_refused_before_graph_is_asked_and_the_refusal_is_audited(
        demo_sessions, graph, jobs, people):  # noqa: F811
    alex = people["alex"]
    for command in (f"knowledge sync sharepoint {SITE} Safety", "knowledge sync sharepoint"):
        outcome = await knowledge_command(command, alex, None, jobs)
        assert outcome is not None and outcome.text == ADMINS_ONLY
    assert not [r for r in graph.requests if r.path.startswith("/v1.0")]
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_sharepoint_folders") == [(0,)]
    assert await jobs_state(demo_sessions) == []
    assert await audit_rows(demo_sessions) == [
        ("knowledge.sharepoint.approve", "staff", alex.staff_id, alex.aad_object_id, "sharepoint:teams", False),
        ("knowledge.sharepoint.sync", "staff", alex.staff_id, alex.aad_object_id, "sharepoint:teams", False)]


async def test_without_graph_an_admin_is_told_what_to_configure_and_other_commands_pass_through(people):  # noqa: F811
    admin = await knowledge_command("knowledge sync sharepoint", people["megan"], None, None)
    teacher = await knowledge_command("knowledge sync sharepoint", people["alex"], None, None)
    assert admin is not None and admin.text == NO_GRAPH and "Sites.Selected" in NO_GRAPH
    assert teacher is not None and teacher.text == ADMINS_ONLY
    assert await knowledge_command("knowledge sync onedrive", people["megan"], None, None) is None


async def test_a_bad_site_or_folder_in_teams_is_named_at_once_and_nothing_is_approved_or_queued(
        demo_sessions, graph, jobs, people):  # noqa: F811
    nothing = await knowledge_command("knowledge sync sharepoint", people["megan"], None, jobs)
    assert nothing is not None and nothing.text is not None and nothing.text.startswith("No SharePoint folder")
    missing = await knowledge_command(f"knowledge sync sharepoint {SITE} Nope", people["megan"], None, jobs)
    assert missing is not None and missing.text == "SharePoint folder not found: Nope. Nothing was changed."
    site = await knowledge_command("knowledge sync sharepoint contoso.sharepoint.com/sites/Nope Safety",
                                   people["megan"], None, jobs)
    assert site is not None and site.text is not None and site.text.startswith("SharePoint site not found")
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_sharepoint_folders") == [(0,)]
    assert await jobs_state(demo_sessions) == []


async def test_the_schedule_syncs_folders_that_are_due_as_the_process_and_skips_recent_ones(
        demo_sessions, graph, sync):  # noqa: F811
    folder_id = await sync.approve(SITE, "Safety")  # the command line: audited as the process
    now = datetime.now(UTC)
    assert [r.added for r in await sync_due(sync, timedelta(minutes=60), now)] == [
        ["Concussion Protocol.pdf", "Concussion Steps.docx", "field-trip-policy.txt"]]
    assert await sync_due(sync, timedelta(minutes=60), now + timedelta(minutes=5)) == []  # synced recently
    graph.put("Safety/Heat Plan.docx", made_files.word_protocol())
    later = await sync_due(sync, timedelta(minutes=60), now + timedelta(minutes=70))
    assert [(r.folder, r.added, r.unchanged) for r in later] == [(f"{SITE}/Safety", ["Heat Plan.docx"], 0)]
    audited = await audit_rows(demo_sessions)
    assert audited[0] == ("knowledge.sharepoint.approve", "knowledge_sharepoint_folder", None, "faraday:cli",
                          "sharepoint:cli", True)
    assert {(a[2], a[3], a[4]) for a in audited[1:]} == {(None, "faraday:schedule", "sharepoint:schedule")}
    assert [a[0] for a in audited[1:]].count("knowledge.sharepoint.sync") == 2
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_sharepoint_folders WHERE id = "
                                     f"{folder_id} AND last_synced_at IS NOT NULL") == [(1,)]


async def test_the_scheduled_loop_keeps_going_after_a_failure_and_waits_the_interval(
        demo_sessions, graph, sync):  # noqa: F811
    await sync.approve(SITE, "Safety/Trips")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    clock = iter([datetime.now(UTC), datetime.now(UTC) + timedelta(hours=1)])
    broken = SharePointSync(demo_sessions, CountingEmbedder(), sync._graph)
    broken.folders = _raise  # type: ignore[method-assign]  # the database down for one turn
    assert await scheduled_sharepoint_sync(broken, 30, sleep=sleep, runs=1) == 0
    assert await scheduled_sharepoint_sync(sync, 30, sleep=sleep, runs=2, now=lambda: next(clock)) == 2
    assert waits == [1800.0]
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_documents WHERE source = 'sharepoint'") == [(1,)]


async def _raise() -> list[object]:
    raise ConnectionRefusedError("database down")


async def test_through_the_running_bot_a_slow_sync_answers_the_turn_at_once_and_the_admin_hears_when_it_ends(
        demo_db_url, graph, connector):  # noqa: F811
    from devtools.fakes.activities import MEGAN, activity
    from tests.knowledge.test_sharepoint_sync import settings_for
    from tests.support.app_client import bot_settings, start_bot

    graph_settings = settings_for(graph)
    values = {k: getattr(graph_settings, k) for k in (
        "ms_tenant_id", "ms_client_id", "ms_client_secret", "ms_authority_host", "graph_base_url", "graph_ca_file")}
    for minutes in (0.0, 15.0):
        bot = await start_bot(bot_settings(demo_db_url, "", openai_api_key="", knowledge_sharepoint_sync_minutes=minutes,
                                           **values), connector)
        try:
            scheduled = [t for t in asyncio.all_tasks() if "scheduled_sharepoint_sync" in repr(t.get_coro())]
            assert bool(scheduled) is (minutes > 0)
            if minutes == 0:
                release = graph.hold_downloads()  # a slow library: no file arrives until released
                started = asyncio.get_running_loop().time()
                await bot.post(activity(connector.url, aad=MEGAN, text=f"knowledge sync sharepoint {SITE} Safety"))
                await connector.wait_for(lambda acts: any("Started syncing" in (a.get("text") or "") for a in acts))
                assert asyncio.get_running_loop().time() - started < 15  # Teams' re-send window
                while not graph.downloads():  # the job is running in the background, blocked on a download
                    await asyncio.sleep(0.05)
                notices = [a for a in connector.messages() if a.get("summary", "").startswith("SharePoint sync")]
                assert notices == []
                release.set()
                await connector.wait_for(lambda acts: any(
                    (a.get("summary") or "").startswith("SharePoint sync of") for a in acts), timeout=60)
                [notice] = [a for a in connector.messages() if (a.get("summary") or "").startswith("SharePoint sync")]
                body = json.dumps(notice["attachments"][0]["content"])
                assert f"{SITE}/Safety" in body and "3 added, 0 updated, 0 retired, 0 unchanged" in body
                turn = next(a for a in connector.messages() if "Started syncing" in (a.get("text") or ""))
                assert notice["_conversation"] == turn["_conversation"]  # Megan's 1:1 chat
        finally:
            await bot.close()
            await bot.server.close()
