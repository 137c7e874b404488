"""Admins add markdown documents at run time (knowledge.uploads) — real PostgreSQL with the demo district."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.identity import IdentityService
from domain.models import AuditLog, KnowledgeChunk, KnowledgeDocument, KnowledgeUpload
from domain.seed import DEMO
from knowledge.ingest import ingest
from knowledge.uploads import MAX_UPLOAD_BYTES, KnowledgeUploads
from tests.support.knowledge import CountingEmbedder, markdown

VIA = "test:upload"


@pytest.fixture
async def people(demo_sessions):  # type: ignore[no-untyped-def]
    identity = IdentityService(demo_sessions)
    return {name: await identity.resolve(DEMO.tenant_id, getattr(DEMO, name).aad_object_id)
            for name in ("megan", "lynne", "alex", "adele")}


@pytest.fixture
def uploads(demo_sessions, counting: CountingEmbedder) -> KnowledgeUploads:  # type: ignore[no-untyped-def]
    return KnowledgeUploads(demo_sessions, counting)


async def _count(sessions, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def test_an_admin_previews_then_adds_a_document_that_becomes_searchable_with_an_audit_row(
    demo_sessions, uploads: KnowledgeUploads, people, counting: CountingEmbedder
) -> None:
    megan = people["megan"]
    preview = await uploads.preview(megan, "Rope Swing Closure.md", markdown(), via=VIA)
    values = preview.values  # the front matter fills the card's fields
    assert (preview.slug, values["title"], values["kind"], values["grade_band"]) == (
        "rope-swing-closure", "Rope Swing Closure", "safety", "6-12")
    assert preview.sections == ["Status", "Who to Ask"] and preview.replaces_version is None
    assert counting.embedded == []  # a preview embeds nothing and stores no document
    assert await _count(demo_sessions, KnowledgeDocument) == 0

    added = await uploads.add(megan, preview.upload_id, via=VIA)
    assert (added.slug, added.version, added.chunks, added.already_added) == ("rope-swing-closure", "1.0", 2, False)
    async with demo_sessions() as s:
        doc = (await s.execute(select(KnowledgeDocument))).scalar_one()
        assert doc.source == "upload"
        contents = (await s.execute(
            select(KnowledgeChunk.content).where(KnowledgeChunk.document_id == doc.id))).scalars().all()
        upload = (await s.execute(select(KnowledgeUpload))).scalar_one()
        trail = (await s.execute(
            select(AuditLog.action, AuditLog.subject_id, AuditLog.allowed, AuditLog.actor_staff_id)
            .where(AuditLog.action.like("knowledge.%")))).all()
        hits = (await s.execute(text(
            "SELECT c.id FROM knowledge_chunks c WHERE c.tsv @@ websearch_to_tsquery('english', 'anchor bolts')"
        ))).scalars().all()
        lexeme = (await s.execute(text("SELECT doc_freq FROM knowledge_lexemes WHERE lexeme = 'bolt'"))).scalar_one()
    assert any("anchor bolts are re-tested" in c for c in contents)
    assert (upload.status, upload.document_id, upload.staff_id) == ("added", doc.id, megan.staff_id)
    assert trail == [("knowledge.document.add", doc.id, True, megan.staff_id)]
    assert hits == ["rope-swing-closure#status"] and lexeme == 1  # full text and abstention statistics include it

    again = await uploads.add(megan, preview.upload_id, via=VIA)  # a second press of Add
    assert again.already_added and await _count(demo_sessions, KnowledgeChunk) == 2
    assert await _count(demo_sessions, AuditLog, AuditLog.action == "knowledge.document.add") == 1


async def test_only_admins_may_upload_and_only_the_uploader_may_add_it(
    demo_sessions, uploads: KnowledgeUploads, people
) -> None:
    for name in ("alex", "adele"):  # a teacher and a nurse
        with pytest.raises(NotAllowed, match="Only administrators"):
            await uploads.preview(people[name], "rope.md", markdown(), via=VIA)
    preview = await uploads.preview(people["megan"], "rope.md", markdown(), via=VIA)
    with pytest.raises(NotAllowed):
        await uploads.add(people["alex"], preview.upload_id, via=VIA)
    with pytest.raises(NotFound):  # another admin cannot add (or cancel) Megan's pending upload
        await uploads.add(people["lynne"], preview.upload_id, via=VIA)
    with pytest.raises(NotFound):
        await uploads.cancel(people["lynne"], preview.upload_id, via=VIA)
    assert await _count(demo_sessions, KnowledgeDocument) == 0
    assert await _count(demo_sessions, KnowledgeUpload) == 1
    refused = await _count(demo_sessions, AuditLog, AuditLog.action == "knowledge.upload", AuditLog.allowed.is_(False))
    assert refused == 3


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("rope.pdf", markdown(), "damaged or is not a PDF"),
        ("rope.docx", markdown(), "damaged or is not a Word document"),
        ("rope.docm", markdown(), "macro-enabled"),
        ("rope.exe", markdown(), "aren't supported"),
        ("rope.md", b"\xff\xfe" + markdown(), "isn't UTF-8"),
        ("rope.md", markdown(kind="gossip"), "kind must be one of"),
        ("rope.md", markdown(body="x" * (2 * 1024 * 1024)), "the limit for markdown files is 2.0 MB"),
        ("rope.pdf", b"%PDF-1.4" + b"x" * MAX_UPLOAD_BYTES, "the limit for PDF files is 20.0 MB"),
        ("rope.md", b"   \n\n", "the file is empty"),
        ("rope.md", b"---\ntitle: x\n---\n", "the document is empty"),
        ("---.md", markdown(), "file name must be a slug"),
    ],
)
async def test_a_bad_file_is_refused_with_a_reason_and_nothing_is_stored(
    demo_sessions, uploads: KnowledgeUploads, people, name: str, data: bytes, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        await uploads.preview(people["megan"], name, data, via=VIA)
    assert await _count(demo_sessions, KnowledgeUpload) == 0


async def test_an_upload_never_replaces_a_bundled_document_and_the_corpus_sync_keeps_uploads(
    demo_sessions, uploads: KnowledgeUploads, people, small_corpus: Path, counting: CountingEmbedder
) -> None:
    await ingest(demo_sessions, counting, small_corpus)
    with pytest.raises(InvalidInput, match="bundled document is already called"):
        await uploads.preview(people["megan"], "concussion-recognition.md", markdown(), via=VIA)
    preview = await uploads.preview(people["megan"], "rope-swing-closure.md", markdown(), via=VIA)
    await uploads.add(people["megan"], preview.upload_id, via=VIA)

    report = await ingest(demo_sessions, counting, small_corpus)  # the start-up sync of the bundled corpus
    assert report.errors == [] and report.documents_deleted == 0
    (small_corpus / "safety" / "rope-swing-closure.md").write_bytes(markdown(version="9.0"))
    clash = await ingest(demo_sessions, counting, small_corpus)  # a bundled file that takes an upload's name
    assert clash.errors == ["rope-swing-closure: an uploaded document already has this name"]
    async with demo_sessions() as s:
        rows = dict((await s.execute(select(KnowledgeDocument.slug, KnowledgeDocument.version))).all())
    assert rows["rope-swing-closure"] == "1.0" and rows["concussion-recognition"] == "1.2"


async def test_a_new_version_replaces_the_uploaded_one_and_leaves_no_stale_chunk(
    demo_sessions, uploads: KnowledgeUploads, people
) -> None:
    first = await uploads.preview(people["megan"], "rope-swing-closure.md", markdown(), via=VIA)
    await uploads.add(people["megan"], first.upload_id, via=VIA)
    second = await uploads.preview(people["megan"], "rope-swing-closure.md",
                                   markdown(version="1.1", body="The rope swing reopened on 1 December."), via=VIA)
    assert second.replaces_version == "1.0"
    await uploads.add(people["megan"], second.upload_id, via=VIA)
    async with demo_sessions() as s:
        contents = (await s.execute(select(KnowledgeChunk.content))).scalars().all()
        version = (await s.execute(select(KnowledgeDocument.version))).scalar_one()
    assert version == "1.1" and len(contents) == 2
    assert any("reopened on 1 December" in c for c in contents) and not any("anchor bolts" in c for c in contents)


async def test_cancel_and_expiry_leave_nothing_to_add(demo_sessions, uploads: KnowledgeUploads, people) -> None:
    megan = people["megan"]
    cancelled = await uploads.preview(megan, "rope.md", markdown(), via=VIA)
    await uploads.cancel(megan, cancelled.upload_id, via=VIA)
    with pytest.raises(InvalidInput, match="cancelled"):
        await uploads.add(megan, cancelled.upload_id, via=VIA)
    stale = await uploads.preview(megan, "rope.md", markdown(), via=VIA)
    async with demo_sessions() as s, s.begin():
        await s.execute(update(KnowledgeUpload).where(KnowledgeUpload.id == stale.upload_id)
                        .values(created_at=func.now() - text("interval '25 hours'")))
    with pytest.raises(InvalidInput, match="expired"):
        await uploads.add(megan, stale.upload_id, via=VIA)
    with pytest.raises(NotFound):
        await uploads.add(megan, 10**9, via=VIA)
    assert await _count(demo_sessions, KnowledgeDocument) == 0
    async with demo_sessions() as s:
        kept = dict((await s.execute(select(KnowledgeUpload.id, KnowledgeUpload.content))).all())
    assert kept[cancelled.upload_id] == "" and kept[stale.upload_id]  # a cancelled file's text is not kept

    await uploads.preview(people["lynne"], "other.md", markdown(), via=VIA)  # the next preview drops expired ones
    async with demo_sessions() as s:
        ids = set((await s.execute(select(KnowledgeUpload.id))).scalars())
    assert stale.upload_id not in ids and cancelled.upload_id in ids and len(ids) == 2


class BrokenEmbedder(CountingEmbedder):
    """Embeds the chunks, then fails on the passages: the failure comes after rows were written."""

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.embedded:
            raise RuntimeError("embedding service unavailable")
        return await super().embed_documents(texts)


async def test_a_failure_while_adding_leaves_no_document_and_the_upload_pending(demo_sessions, people) -> None:
    uploads = KnowledgeUploads(demo_sessions, BrokenEmbedder())
    preview = await uploads.preview(people["megan"], "rope.md", markdown(), via=VIA)
    with pytest.raises(RuntimeError):
        await uploads.add(people["megan"], preview.upload_id, via=VIA)
    assert await _count(demo_sessions, KnowledgeDocument) == 0
    assert await _count(demo_sessions, KnowledgeChunk) == 0
    assert await _count(demo_sessions, AuditLog, AuditLog.action == "knowledge.document.add") == 0
    async with demo_sessions() as s:
        assert (await s.execute(select(KnowledgeUpload.status))).scalar_one() == "pending"


async def test_admins_list_and_remove_uploaded_documents_but_not_bundled_ones(
    demo_sessions, uploads: KnowledgeUploads, people, small_corpus: Path, counting: CountingEmbedder
) -> None:
    megan, alex = people["megan"], people["alex"]
    await ingest(demo_sessions, counting, small_corpus)
    assert await uploads.uploaded(megan, via=VIA) == []
    preview = await uploads.preview(megan, "rope-swing-closure.md", markdown(), via=VIA)
    await uploads.add(megan, preview.upload_id, via=VIA)
    [listed] = await uploads.uploaded(people["lynne"], via=VIA)  # any admin sees what was added
    assert (listed.slug, listed.version, listed.added_by) == ("rope-swing-closure", "1.0", "Megan Bowen")
    assert listed.added_at is not None
    for call in (uploads.uploaded(alex, via=VIA), uploads.remove(alex, "rope-swing-closure", via=VIA)):
        with pytest.raises(NotAllowed, match="Only administrators"):
            await call
    with pytest.raises(NotAllowed, match="bundled corpus"):
        await uploads.remove(megan, "concussion-recognition", via=VIA)
    with pytest.raises(NotFound):
        await uploads.remove(megan, "no-such-document", via=VIA)

    assert await uploads.remove(megan, "rope-swing-closure", via=VIA) == 2
    async with demo_sessions() as s:
        slugs = set((await s.execute(select(KnowledgeDocument.slug))).scalars())
        bolts = (await s.execute(text("SELECT count(*) FROM knowledge_lexemes WHERE lexeme = 'bolt'"))).scalar_one()
        trail = (await s.execute(select(AuditLog.action, AuditLog.allowed).where(
            AuditLog.action.like("knowledge.document.%")).order_by(AuditLog.id))).all()
    assert "rope-swing-closure" not in slugs and "concussion-recognition" in slugs and bolts == 0
    assert trail == [("knowledge.document.add", True), ("knowledge.document.remove", True)]
    assert await uploads.uploaded(megan, via=VIA) == []
