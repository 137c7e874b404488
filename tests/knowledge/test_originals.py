"""Files ingested from the command line keep their original, like uploads: citations link to it, the same file
again adds nothing, a changed file replaces it, a removed file takes it away — real PostgreSQL with the demo staff."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from knowledge import CORPUS_DIR
from knowledge.__main__ import _bundled
from knowledge.files import FileLinks, KnowledgeFiles
from knowledge.ingest import ingest
from tests.knowledge.test_uploads import people  # noqa: F401  (fixture)
from tests.support import documents as made_files

POLICY = "Field Trip Policy\n\nPermission\nEvery trip needs signed forms.\n"


async def _uploads(sessions) -> list[tuple[str, str, str, bool]]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.execute(text(
            "SELECT slug, origin, status, original IS NOT NULL FROM knowledge_uploads ORDER BY id"))
        return [tuple(r) for r in rows]


async def test_a_cli_ingested_file_keeps_its_original_and_citations_link_to_the_current_one(
    demo_sessions, tmp_path: Path, counting, people  # noqa: F811
) -> None:
    folder = tmp_path / "district"
    folder.mkdir()
    pdf = made_files.pdf_protocol()
    (folder / "Concussion Protocol.pdf").write_bytes(pdf)
    (folder / "field-trip-policy.txt").write_text(POLICY)
    files = KnowledgeFiles(demo_sessions, FileLinks(b"k" * 32, timedelta(hours=1), "https://faraday.example.org"))
    alex = people["alex"]

    report = await ingest(demo_sessions, counting, folder, keep_originals=True)
    assert report.errors == []
    assert await _uploads(demo_sessions) == [("concussion-protocol", "cli", "added", True),
                                             ("field-trip-policy", "cli", "added", True)]
    links = await files.links_for(alex, ["concussion-protocol", "field-trip-policy"])
    opened = await files.open(links["concussion-protocol"].rsplit("/", 1)[1])
    assert opened is not None and (opened.data, opened.file_name, opened.media_type) == \
        (pdf, "Concussion Protocol.pdf", "application/pdf")

    await ingest(demo_sessions, counting, folder, keep_originals=True)  # the same files: nothing new kept
    assert len(await _uploads(demo_sessions)) == 2

    (folder / "field-trip-policy.txt").write_text(POLICY + "\nChaperones\nOne adult per ten students.\n")
    old_policy = links["field-trip-policy"].rsplit("/", 1)[1]
    await ingest(demo_sessions, counting, folder, keep_originals=True)
    assert await files.open(old_policy) is None  # the link named the replaced version
    new_policy = (await files.links_for(alex, ["field-trip-policy"]))["field-trip-policy"].rsplit("/", 1)[1]
    reopened = await files.open(new_policy)
    assert reopened is not None and b"Chaperones" in reopened.data

    (folder / "Concussion Protocol.pdf").unlink()
    await ingest(demo_sessions, counting, folder, keep_originals=True)
    assert await files.links_for(alex, ["concussion-protocol"]) == {}
    assert await files.open(links["concussion-protocol"].rsplit("/", 1)[1]) is None
    assert await _uploads(demo_sessions) == [("concussion-protocol", "cli", "removed", False),
                                             ("field-trip-policy", "cli", "replaced", True),
                                             ("field-trip-policy", "cli", "added", True)]


async def test_the_bundled_corpus_keeps_no_originals_and_the_command_line_keeps_them_for_other_files(
    demo_sessions, small_corpus: Path, counting, tmp_path: Path
) -> None:
    await ingest(demo_sessions, counting, small_corpus)  # as the start-up sync runs it
    assert await _uploads(demo_sessions) == []
    assert _bundled(CORPUS_DIR) and _bundled(CORPUS_DIR / "safety" / "concussion-recognition.md")
    assert not _bundled(tmp_path) and not _bundled(small_corpus)
