"""A SharePoint document library folder synced into the knowledge base: the fake Graph over TLS (real msal against
the local identity platform, real aiohttp), real PostgreSQL, the real isolated parsers. Delta queries page by
@odata.nextLink and end in a delta link; the second sync downloads nothing; a changed file is read again, a deleted
one retired, a bad one reported by name with nothing else changed; Retry-After is honoured on 429/503."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from devtools.fakes.graph import CLIENT_ID, CLIENT_SECRET, TENANT
from devtools.fakes.graph_drive import FakeDriveGraph
from domain.errors import InvalidInput, NotAllowed
from domain.graph_client import GraphClient, graph_config
from domain.settings import Settings
from knowledge.sharepoint import PERMISSION, SharePointSync
from tests.knowledge.test_uploads import people  # noqa: F401  (fixture)
from tests.support import documents as made_files
from tests.support.knowledge import CountingEmbedder

REPO = Path(__file__).resolve().parents[2]
SITE = "contoso.sharepoint.com/sites/PE"
POLICY = b"Field Trip Policy\n\nPermission\nEvery trip needs a signed permission form from a guardian.\n"


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[FakeDriveGraph]:
    fake = await FakeDriveGraph(tmp_path, page_size=2).start()
    fake.put("Safety/Concussion Protocol.pdf", made_files.pdf_protocol())
    fake.put("Safety/Concussion Steps.docx", made_files.word_protocol())
    fake.put("Safety/Trips/field-trip-policy.txt", POLICY)
    fake.put("Finance/budget-notes.txt", b"Budget Notes\n\nNot for the knowledge base.\n")
    yield fake
    await fake.close()


def settings_for(graph: FakeDriveGraph, url: str = "") -> Settings:
    return Settings(database_url=url, ms_tenant_id=TENANT, ms_client_id=CLIENT_ID, ms_client_secret=CLIENT_SECRET,
                    ms_authority_host=graph.url, graph_base_url=f"{graph.url}/v1.0", graph_ca_file=str(graph.ca_file))


@pytest.fixture
async def client(graph: FakeDriveGraph) -> AsyncIterator[tuple[GraphClient, list[float]]]:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    graph_client = GraphClient(graph_config(settings_for(graph)), permission=PERMISSION, sleep=sleep)
    yield graph_client, pauses
    await graph_client.close()


@pytest.fixture
def sync(sessions, client, counting: CountingEmbedder) -> SharePointSync:  # type: ignore[no-untyped-def]
    return SharePointSync(sessions, counting, client[0])


async def rows(sessions, sql: str) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return [tuple(r) for r in await session.execute(text(sql))]


async def knowledge_state(sessions) -> dict[str, list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    return {
        "documents": await rows(sessions, "SELECT slug, source, content_hash FROM knowledge_documents ORDER BY slug"),
        "chunks": await rows(sessions, "SELECT id, content_hash FROM knowledge_chunks ORDER BY id"),
        "originals": await rows(sessions, "SELECT slug, status, content_hash FROM knowledge_uploads ORDER BY id"),
    }


async def test_the_first_sync_reads_the_approved_folder_page_by_page_and_the_second_downloads_nothing(
        sessions, graph, sync, counting):
    folder_id = await sync.approve(SITE, "Safety", overrides={"audience": "pe-teachers"})
    first = await sync.sync(folder_id)
    assert (first.failed, first.errors, first.full) == (None, [], True)
    assert sorted(first.added) == ["Concussion Protocol.pdf", "Concussion Steps.docx", "field-trip-policy.txt"]
    assert any("$skiptoken" in r.query for r in graph.graph_requests("GET") if r.path.endswith("/root/delta"))
    assert await rows(sessions, "SELECT slug, source, format, audience FROM knowledge_documents ORDER BY slug") == [
        ("concussion-protocol", "sharepoint", "pdf", "pe-teachers"),
        ("concussion-steps", "sharepoint", "docx", "pe-teachers"),
        ("field-trip-policy", "sharepoint", "text", "pe-teachers")]  # Finance/ is outside the approved folder
    assert ("concussion-protocol#return-to-play", 3) in await rows(
        sessions, "SELECT id, page_start FROM knowledge_chunks WHERE id LIKE 'concussion-protocol#%'")
    assert await rows(sessions, "SELECT origin, status, original IS NOT NULL FROM knowledge_uploads") == \
        [("sharepoint", "added", True)] * 3
    assert len(graph.downloads()) == 6  # /content and its pre-authenticated download, per file

    before, embedded, downloads = await knowledge_state(sessions), len(counting.embedded), len(graph.downloads())
    second = await sync.sync(folder_id)
    assert (second.changed, second.errors, second.failed, second.full) == (False, [], None, False)
    assert len(graph.downloads()) == downloads and len(counting.embedded) == embedded  # nothing downloaded or embedded
    assert graph.graph_requests("GET")[-1].query.get("token") not in (None, "0")  # the stored delta link
    assert await knowledge_state(sessions) == before


async def test_a_changed_file_is_read_again_and_a_deleted_one_retired(sessions, graph, sync):
    folder_id = await sync.approve(SITE, "Safety")
    await sync.sync(folder_id)
    graph.put("Safety/Trips/field-trip-policy.txt", POLICY + b"\nChaperones\nOne adult for every ten students.\n")
    graph.delete("Safety/Concussion Steps.docx")
    downloads = len(graph.downloads())
    report = await sync.sync(folder_id)
    assert (report.updated, report.retired, report.added, report.errors) == \
        (["field-trip-policy.txt"], ["Concussion Steps.docx"], [], [])
    assert len(graph.downloads()) == downloads + 2  # only the changed file
    assert await rows(sessions, "SELECT slug FROM knowledge_documents ORDER BY slug") == \
        [("concussion-protocol",), ("field-trip-policy",)]
    assert await rows(sessions, "SELECT count(*) FROM knowledge_chunks WHERE id LIKE 'concussion-steps%'") == [(0,)]
    assert any("One adult for every ten" in c for (c,) in await rows(
        sessions, "SELECT content FROM knowledge_chunks WHERE id LIKE 'field-trip-policy%'"))
    assert await rows(sessions, "SELECT slug, status, original IS NOT NULL FROM knowledge_uploads ORDER BY id") == [
        ("concussion-protocol", "added", True), ("concussion-steps", "removed", False),
        ("field-trip-policy", "replaced", True), ("field-trip-policy", "added", True)]


async def test_a_bad_file_is_reported_by_name_and_changes_nothing_else(sessions, graph, sync):
    folder_id = await sync.approve(SITE, "Safety")
    await sync.sync(folder_id)
    before = await knowledge_state(sessions)
    graph.put("Safety/broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 200)
    graph.put("Safety/Concussion Protocol.pdf", made_files.pdf_protocol(encrypted=True))  # a bad new version
    graph.put("Safety/budget.xlsx", b"PK\x03\x04 not a document")
    report = await sync.sync(folder_id)
    assert (report.added, report.updated, report.retired, report.failed) == ([], [], [], None)
    assert sorted(e.split(":")[0] for e in report.errors) == ["Concussion Protocol.pdf", "broken.pdf", "budget.xlsx"]
    assert any("password-protected" in e for e in report.errors)
    assert await knowledge_state(sessions) == before  # the previous version stays searchable
    again = await sync.sync(folder_id)  # the bad files are not read again until they change
    assert (again.errors, again.changed) == ([], False)


async def test_throttling_is_retried_after_the_time_graph_asks_for(sessions, graph, sync, client):
    graph.fail_next("GET", "/root/delta", 429, retry_after="7", code="TooManyRequests")
    graph.fail_next("GET", "/download/", 503, count=2, retry_after="3", code="ServiceUnavailable")
    folder_id = await sync.approve(SITE, "Safety")
    report = await sync.sync(folder_id)
    assert (report.failed, report.errors, len(report.added)) == (None, [], 3)
    assert client[1] == [7.0, 3.0, 3.0]


async def test_a_graph_refusal_names_the_permission_and_keeps_the_delta_link(sessions, graph, sync):
    folder_id = await sync.approve(SITE, "Safety")
    graph.fail_next("GET", "/root/delta", 403, code="accessDenied")
    refused = await sync.sync(folder_id)
    assert refused.failed is not None and "Sites.Selected" in refused.failed
    assert await rows(sessions, "SELECT count(*), bool_and(delta_link IS NULL) FROM knowledge_sharepoint_folders") \
        == [(1, True)]
    assert await rows(sessions, "SELECT count(*) FROM knowledge_documents") == [(0,)]
    with pytest.raises(InvalidInput, match="SharePoint folder not found: Nope"):
        await sync.approve(SITE, "Nope")


async def test_only_admins_approve_a_folder_and_the_refusal_is_audited(demo_sessions, graph, client, people):  # noqa: F811
    sync = SharePointSync(demo_sessions, CountingEmbedder(), client[0])
    with pytest.raises(NotAllowed):
        await sync.approve(SITE, "Safety", actor=people["alex"], via="test")
    assert await rows(demo_sessions, "SELECT count(*) FROM knowledge_sharepoint_folders") == [(0,)]
    assert not [r for r in graph.requests if r.path.startswith("/v1.0")]  # refused before asking Graph
    await sync.approve(SITE, "Safety", actor=people["megan"], via="test")
    assert await rows(demo_sessions, "SELECT action, allowed FROM audit_log WHERE action LIKE 'knowledge.sharepoint%' "
                      "ORDER BY id") == [("knowledge.sharepoint.approve", False), ("knowledge.sharepoint.approve", True)]


async def test_python_m_knowledge_sync_sharepoint_approves_and_syncs(empty_db_url, graph):
    env = {**os.environ, "DATABASE_URL": empty_db_url, "OPENAI_API_KEY": "", "MS_TENANT_ID": TENANT,
           "MS_CLIENT_ID": CLIENT_ID, "MS_CLIENT_SECRET": CLIENT_SECRET, "MS_AUTHORITY_HOST": graph.url,
           "GRAPH_BASE_URL": f"{graph.url}/v1.0", "GRAPH_CA_FILE": str(graph.ca_file)}

    async def run(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "knowledge", "sync-sharepoint", *args, "--json", cwd=REPO, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=300)
        return process.returncode or 0, out.decode(), err.decode()

    code, out, err = await run(SITE, "Safety/Trips", "--kind", "policy")
    assert code == 0, err[-2000:]
    assert [r["added"] for r in json.loads(out)] == [["field-trip-policy.txt"]]
    code, out, err = await run()  # every approved folder
    assert code == 0, err[-2000:]
    assert [(r["added"], r["unchanged"]) for r in json.loads(out)] == [([], 0)]
