"""An admin adds a PDF or Word file: metadata from the card (errors per field), chunks with pages, citations with
the page and a signed link to the original, and a new version that replaces the old one whole — real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from domain.errors import InvalidInput
from domain.models import KnowledgeChunk, KnowledgeDocument, KnowledgeUpload
from knowledge.files import FileLinks, KnowledgeFiles
from knowledge.uploads import InvalidMetadata, KnowledgeUploads
from tests.knowledge.test_uploads import VIA, people  # noqa: F401  (fixture)
from tests.support import documents as made_files
from tests.support.knowledge import CountingEmbedder

CARD = {"title": "Concussion Protocol", "kind": "safety", "audience": "pe-teachers", "grade_band": "6-8",
        "version": "2.0", "reviewed_by": "District Nurse", "reviewed_on": "2026-11-01"}


@pytest.fixture
def uploads(demo_sessions, counting: CountingEmbedder) -> KnowledgeUploads:  # type: ignore[no-untyped-def]
    return KnowledgeUploads(demo_sessions, counting)


async def test_a_pdf_is_previewed_added_with_the_cards_metadata_and_its_chunks_keep_their_pages(
    demo_sessions, uploads: KnowledgeUploads, people  # noqa: F811
) -> None:
    megan, pdf = people["megan"], made_files.pdf_protocol()
    preview = await uploads.preview(megan, "Concussion Protocol.pdf", pdf, via=VIA)
    assert (preview.parsed.pages, preview.sections) == (4, ["Recognition", "Immediate Steps", "Return to Play",
                                                            "Heat Illness"])
    assert preview.values["kind"] == "safety" and preview.values["reviewed_by"] == "Megan Bowen"
    async with demo_sessions() as s:
        assert (await s.execute(select(KnowledgeDocument))).first() is None  # nothing searchable before Add

    with pytest.raises(InvalidMetadata) as bad:
        await uploads.add(megan, preview.upload_id, CARD | {"kind": "gossip", "grade_band": "13-14", "version": ""},
                          via=VIA)
    assert set(bad.value.errors) == {"kind", "grade_band", "version"} and bad.value.errors["version"] == "Required."
    async with demo_sessions() as s:
        assert (await s.execute(select(KnowledgeDocument))).first() is None

    added = await uploads.add(megan, preview.upload_id, CARD, via=VIA)
    assert (added.slug, added.version, added.chunks) == ("concussion-protocol", "2.0", 4)
    async with demo_sessions() as s:
        doc = (await s.execute(select(KnowledgeDocument))).scalar_one()
        pages = dict((await s.execute(select(KnowledgeChunk.section, KnowledgeChunk.page_start))).all())
        upload = (await s.execute(select(KnowledgeUpload))).scalar_one()
    assert (doc.kind, doc.audience, doc.grade_band, doc.format, doc.pages) == ("safety", "pe-teachers", "6-8", "pdf", 4)
    assert pages == {"Recognition": 1, "Immediate Steps": 2, "Return to Play": 3, "Heat Illness": 4}
    assert upload.original == pdf and upload.media_type == "application/pdf"


async def test_a_new_version_with_the_same_title_replaces_the_old_one_whole_and_keeps_its_record(
    demo_sessions, uploads: KnowledgeUploads, people  # noqa: F811
) -> None:
    megan = people["megan"]
    first = await uploads.preview(megan, "concussion.pdf", made_files.pdf_protocol(), via=VIA)
    await uploads.add(megan, first.upload_id, CARD, via=VIA)
    second = await uploads.preview(megan, "Concussion Protocol v3.docx", made_files.word_protocol(), via=VIA)
    assert (second.slug, second.replaces_version) == ("concussion", "2.0")  # matched by its title
    await uploads.add(megan, second.upload_id, CARD | {"version": "3.0"}, via=VIA)
    async with demo_sessions() as s:
        docs = (await s.execute(select(KnowledgeDocument.slug, KnowledgeDocument.version,
                                       KnowledgeDocument.format))).all()
        sections = set((await s.execute(select(KnowledgeChunk.section))).scalars())
        record = (await s.execute(select(KnowledgeUpload.status, KnowledgeUpload.version, KnowledgeUpload.file_name)
                                  .order_by(KnowledgeUpload.id))).all()
    assert docs == [("concussion", "3.0", "docx")]
    assert sections == {"Recognition", "Immediate Steps", "Return to Play"}  # no chunk of the PDF's Heat Illness
    assert record == [("replaced", "2.0", "concussion.pdf"), ("added", "3.0", "Concussion Protocol v3.docx")]


async def test_a_scanned_or_encrypted_pdf_is_refused_and_nothing_is_stored(
    demo_sessions, uploads: KnowledgeUploads, people  # noqa: F811
) -> None:
    for name, data, reason in (("scan.pdf", made_files.pdf_image_only(), "no text layer: OCR is not supported"),
                               ("locked.pdf", made_files.pdf_protocol(encrypted=True), "password-protected")):
        with pytest.raises(InvalidInput, match=reason):
            await uploads.preview(people["megan"], name, data, via=VIA)
    async with demo_sessions() as s:
        assert (await s.execute(select(KnowledgeUpload))).first() is None


async def test_a_citation_link_opens_the_current_original_only_until_it_expires_or_is_replaced(
    demo_sessions, uploads: KnowledgeUploads, people  # noqa: F811
) -> None:
    megan, alex = people["megan"], people["alex"]
    now = [datetime(2026, 12, 5, 8, tzinfo=UTC)]
    links = FileLinks(b"k" * 32, timedelta(hours=1), "https://faraday.example.org", clock=lambda: now[0])
    files = KnowledgeFiles(demo_sessions, links)
    pdf = made_files.pdf_protocol()
    preview = await uploads.preview(megan, "concussion.pdf", pdf, via=VIA)
    assert await files.links_for(alex, ["concussion"]) == {}  # not added yet: no link
    await uploads.add(megan, preview.upload_id, CARD, via=VIA)
    url = (await files.links_for(alex, ["concussion", "no-such"]))["concussion"]
    assert url.startswith("https://faraday.example.org/knowledge/files/d")
    token = url.rsplit("/", 1)[1]
    opened = await files.open(token)
    assert opened is not None and opened.data == pdf and opened.file_name == "concussion.pdf"
    assert await files.open(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None  # tampered
    now[0] += timedelta(hours=2)
    assert await files.open(token) is None  # expired
    now[0] -= timedelta(hours=2)
    again = await uploads.preview(megan, "concussion.pdf", made_files.pdf_protocol(bookmarks=False), via=VIA)
    await uploads.add(megan, again.upload_id, CARD | {"version": "2.1"}, via=VIA)
    assert await files.open(token) is None  # the link named the replaced version
