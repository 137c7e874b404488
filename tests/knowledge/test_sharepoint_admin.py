"""The SharePoint sync as admins and the schedule run it: the Teams command (``knowledge sync sharepoint SITE FOLDER``
approves and syncs; alone, syncs every approved folder), refused for teachers before Graph is asked, a bad file
named in the reply with nothing else changed, and every sync and document change audited (the admin, or the process
for the schedule and the command line). Fake Graph over TLS, real PostgreSQL with the demo district, real parsers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.commands.knowledge import NO_GRAPH, knowledge_command
from knowledge.sharepoint import ADMINS_ONLY, SharePointSync
from knowledge.sharepoint_schedule import scheduled_sharepoint_sync, sync_due
from tests.knowledge.test_sharepoint_sync import SITE, client, graph, rows  # noqa: F401
from tests.knowledge.test_uploads import people  # noqa: F401
from tests.support import documents as made_files
from tests.support.app_client import connector  # noqa: F401
from tests.support.knowledge import CountingEmbedder


@pytest.fixture
def sync(demo_sessions, client) -> SharePointSync:  # type: ignore[no-untyped-def]  # noqa: F811
    return SharePointSync(demo_sessions, CountingEmbedder(), client[0])


async def audit_rows(sessions) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return await rows(sessions, "SELECT action, subject_type, actor_staff_id, actor_aad_object_id, via, allowed "
                                "FROM audit_log WHERE via LIKE 'sharepoint:%' ORDER BY id")


async def test_an_admin_connects_a_folder_in_teams_and_the_reply_counts_what_was_added(
        demo_sessions, graph, sync, people):  # noqa: F811
    megan = people["megan"]
    outcome = await knowledge_command(f"knowledge sync sharepoint {SITE} Safety", megan, None, sync)
    assert outcome is not None and outcome.text is not None
    assert outcome.text.startswith(f"**{SITE}/Safety**: 3 added, 0 updated, 0 retired, 0 unchanged.")
    assert await rows(demo_sessions, "SELECT slug FROM knowledge_documents WHERE source = 'sharepoint' "
                                     "ORDER BY slug") == [("concussion-protocol",), ("concussion-steps",),
                                                          ("field-trip-policy",)]
    audited = await audit_rows(demo_sessions)
    assert audited[0] == ("knowledge.sharepoint.approve", "knowledge_sharepoint_folder", megan.staff_id,
                          megan.aad_object_id, "sharepoint:teams", True)
    assert [a[0] for a in audited[1:]] == ["knowledge.document.add"] * 3 + ["knowledge.sharepoint.sync"]
    assert {a[2] for a in audited} == {megan.staff_id}
    added = {r[0] for r in await rows(demo_sessions, "SELECT id FROM knowledge_documents WHERE source = 'sharepoint'")}
    assert {r[0] for r in await rows(demo_sessions, "SELECT subject_id FROM audit_log WHERE action = "
                                                    "'knowledge.document.add' AND via = 'sharepoint:teams'")} == added

    graph.put("Safety/broken.docx", b"PK\x03\x04 a damaged Word file")
    graph.delete("Safety/Concussion Steps.docx")
    again = await knowledge_command("knowledge sync sharepoint", megan, None, sync)  # every approved folder
    assert again is not None and again.text is not None
    assert again.text.splitlines()[0] == f"**{SITE}/Safety**: 0 added, 0 updated, 1 retired, 0 unchanged."
    assert again.text.splitlines()[1].startswith("- not read: broken.docx: ")
    assert [a[0] for a in (await audit_rows(demo_sessions))[5:]] == ["knowledge.document.remove",
                                                                    "knowledge.sharepoint.sync"]
    reason = await rows(demo_sessions, "SELECT reason FROM audit_log WHERE action = 'knowledge.sharepoint.sync' "
                                       "ORDER BY id DESC LIMIT 1")
    assert reason == [("0 added, 0 updated, 1 retired, 0 unchanged, 1 not read",)]  # counts, no file names


async def test_a_teacher_is_refused_before_graph_is_asked_and_the_refusal_is_audited(
        demo_sessions, graph, sync, people):  # noqa: F811
    alex = people["alex"]
    for command in (f"knowledge sync sharepoint {SITE} Safety", "knowledge sync sharepoint"):
        outcome = await knowledge_command(command, alex, None, sync)
        assert outcome is not None and outcome.text == ADMINS_ONLY
    assert not [r for r in graph.requests if r.path.startswith("/v1.0")]
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_sharepoint_folders") == [(0,)]
    assert await audit_rows(demo_sessions) == [
        ("knowledge.sharepoint.approve", "staff", alex.staff_id, alex.aad_object_id, "sharepoint:teams", False),
        ("knowledge.sharepoint.sync", "staff", alex.staff_id, alex.aad_object_id, "sharepoint:teams", False)]


async def test_without_graph_an_admin_is_told_what_to_configure_and_other_commands_pass_through(people):  # noqa: F811
    admin = await knowledge_command("knowledge sync sharepoint", people["megan"], None, None)
    teacher = await knowledge_command("knowledge sync sharepoint", people["alex"], None, None)
    assert admin is not None and admin.text == NO_GRAPH and "Sites.Selected" in NO_GRAPH
    assert teacher is not None and teacher.text == ADMINS_ONLY
    assert await knowledge_command("knowledge sync onedrive", people["megan"], None, None) is None


async def test_a_bad_site_or_folder_in_teams_is_named_and_nothing_is_approved(
        demo_sessions, graph, sync, people):  # noqa: F811
    nothing = await knowledge_command("knowledge sync sharepoint", people["megan"], None, sync)
    assert nothing is not None and nothing.text is not None and nothing.text.startswith("No SharePoint folder")
    missing = await knowledge_command(f"knowledge sync sharepoint {SITE} Nope", people["megan"], None, sync)
    assert missing is not None and missing.text == "SharePoint folder not found: Nope. Nothing was changed."
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_sharepoint_folders") == [(0,)]


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


async def test_through_the_running_bot_an_admin_syncs_and_the_schedule_runs_only_when_set(
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
                await bot.post(activity(connector.url, aad=MEGAN, text=f"knowledge sync sharepoint {SITE} Safety/Trips"))
                assert connector.messages()[-1]["text"].startswith(f"**{SITE}/Safety/Trips**: 1 added")
        finally:
            await bot.close()
            await bot.server.close()
