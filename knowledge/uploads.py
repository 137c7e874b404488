"""Admins add markdown documents to the knowledge base at run time: preview, then Add (or Cancel).

``preview`` validates the file exactly as the corpus ingest does and holds it as a pending ``knowledge_uploads`` row;
the preview card's Add button names only that row. ``add`` ingests it — document, chunks, passages, lexeme
frequencies, the upload's status and the audit row — in one transaction, so a failure leaves the knowledge base as it
was. Only admins may do either (checked here, on the server-resolved identity; refusals are audited). An upload can
replace an earlier upload of the same name, never a bundled corpus document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.models import KnowledgeDocument, KnowledgeUpload, Role, Staff
from knowledge import passage_store, store
from knowledge.chunking import chunk_document
from knowledge.documents import Document, DocumentError, parse_document, slugify
from knowledge.embedders import Embedder
from knowledge.ingest import IngestReport, finish_ingest, ingest_document

MAX_UPLOAD_BYTES = 256 * 1024
PENDING_FOR = timedelta(hours=24)
ADMINS_ONLY = "Only administrators can add documents to the knowledge base."
SOURCE = "upload"


@dataclass(frozen=True, slots=True)
class UploadPreview:
    upload_id: int
    file_name: str
    document: Document  # parsed and validated as the corpus ingest does
    sections: list[str]
    replaces_version: str | None  # an earlier upload with this name, which Add replaces


@dataclass(frozen=True, slots=True)
class UploadedDocument:
    slug: str
    title: str
    kind: str
    version: str
    added_by: str | None  # None when the adding admin's staff record is gone
    added_at: datetime | None


@dataclass(frozen=True, slots=True)
class AddedDocument:
    title: str
    slug: str
    version: str
    chunks: int
    already_added: bool = False


class KnowledgeUploads:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], embedder: Embedder) -> None:
        self._sessions = sessions
        self._embedder = embedder

    async def check_allowed(self, actor: Actor, *, via: str) -> None:
        """Raise ``NotAllowed`` (audited) unless the caller is an admin — before anything is downloaded."""
        if actor.role != Role.admin:
            await audit.record_refusal(
                self._sessions, actor, action="knowledge.upload", subject_type="staff",
                subject_ids=[actor.staff_id], via=via, reason="admins only",
            )
            raise NotAllowed(ADMINS_ONLY)

    async def preview(self, actor: Actor, file_name: str, data: bytes, *, via: str) -> UploadPreview:
        """Validate an uploaded file and hold it for the admin's confirmation; nothing is searchable yet."""
        await self.check_allowed(actor, via=via)
        name = _short_name(file_name)
        document = _parse_upload(name, data)
        sections = [c.section for c in chunk_document(document)]
        async with unit_of_work(self._sessions) as session:
            # Previews nobody confirmed within the day are dropped with their text (an added upload stays: it is
            # the record of which version was added, and by whom).
            await session.execute(delete(KnowledgeUpload).where(
                KnowledgeUpload.status == "pending", KnowledgeUpload.created_at < func.now() - PENDING_FOR))
            existing = await store.document_source(session, document.slug)
            if existing and existing[0] != SOURCE:
                raise InvalidInput(
                    f"A bundled document is already called “{document.slug}”. Rename the file and send it again."
                )
            upload_id = (await session.execute(
                insert(KnowledgeUpload).values(
                    staff_id=actor.staff_id, file_name=name, slug=document.slug,
                    content=data.decode("utf-8"), content_hash=document.content_hash,
                ).returning(KnowledgeUpload.id)
            )).scalar_one()
        return UploadPreview(
            upload_id=upload_id, file_name=name, document=document,
            sections=list(dict.fromkeys(sections)), replaces_version=existing[1] if existing else None,
        )

    async def add(self, actor: Actor, upload_id: int, *, via: str) -> AddedDocument:
        """Ingest a previewed upload (the caller's own, still pending) in one transaction; a second press adds
        nothing more."""
        await self.check_allowed(actor, via=via)
        async with unit_of_work(self._sessions) as session:
            upload, expired = await self._own_upload(session, actor, upload_id)
            if upload.status not in ("pending", "added"):
                raise InvalidInput("That upload was cancelled. Send the file again to add it.")
            document = parse_document(upload.content, upload.slug)
            if upload.status == "added":
                return AddedDocument(document.title, document.slug, document.version, 0, already_added=True)
            if expired:
                raise InvalidInput("That preview has expired. Send the file again to add it.")
            report = IngestReport()
            try:
                document_id = await ingest_document(session, self._embedder, document, report, source=SOURCE)
            except DocumentError:
                raise InvalidInput(
                    f"A bundled document is now called “{document.slug}”. Rename the file and send it again."
                ) from None
            await finish_ingest(session, self._embedder)
            await session.execute(
                update(KnowledgeUpload).where(KnowledgeUpload.id == upload.id)
                .values(status="added", decided_at=func.now(), document_id=document_id)
            )
            await audit.record(
                session, actor, action="knowledge.document.add", subject_type="knowledge_document",
                subject_ids=[document_id], via=via, allowed=True,
            )
        return AddedDocument(document.title, document.slug, document.version,
                             report.chunks_embedded + report.chunks_unchanged)

    async def cancel(self, actor: Actor, upload_id: int, *, via: str) -> None:
        """Discard a pending upload (the caller's own). Cancelling twice, or after Add, changes nothing."""
        await self.check_allowed(actor, via=via)
        async with unit_of_work(self._sessions) as session:
            upload, _ = await self._own_upload(session, actor, upload_id)
            if upload.status == "pending":
                await session.execute(
                    update(KnowledgeUpload).where(KnowledgeUpload.id == upload.id)
                    .values(status="cancelled", decided_at=func.now(), content="")  # a discarded file is not kept
                )

    async def uploaded(self, actor: Actor, *, via: str) -> list[UploadedDocument]:
        """The documents admins added in Teams, newest first, with who added the current version."""
        await self.check_allowed(actor, via=via)
        latest = (
            select(KnowledgeUpload.document_id, func.max(KnowledgeUpload.id).label("upload_id"))
            .where(KnowledgeUpload.status == "added").group_by(KnowledgeUpload.document_id).subquery()
        )
        async with self._sessions() as session:
            rows = (await session.execute(
                select(KnowledgeDocument.slug, KnowledgeDocument.title, KnowledgeDocument.kind,
                       KnowledgeDocument.version, Staff.display_name, KnowledgeUpload.decided_at)
                .join(latest, latest.c.document_id == KnowledgeDocument.id, isouter=True)
                .join(KnowledgeUpload, KnowledgeUpload.id == latest.c.upload_id, isouter=True)
                .join(Staff, Staff.id == KnowledgeUpload.staff_id, isouter=True)
                .where(KnowledgeDocument.source == SOURCE)
                .order_by(KnowledgeUpload.decided_at.desc().nulls_last(), KnowledgeDocument.slug)
            )).all()
        return [UploadedDocument(*row) for row in rows]

    async def remove(self, actor: Actor, slug: str, *, via: str) -> int:
        """Delete an uploaded document with its chunks and vectors (audited); bundled documents are not removable
        here. Returns how many sections went with it."""
        await self.check_allowed(actor, via=via)
        async with unit_of_work(self._sessions) as session:
            row = (await session.execute(
                select(KnowledgeDocument.id, KnowledgeDocument.source)
                .where(KnowledgeDocument.slug == slug).with_for_update()
            )).first()
            if row is None:
                raise NotFound(f"No uploaded document is called “{slug}”. Type **uploaded documents** to see them.")
            document_id, source = row
            if source != SOURCE:
                raise NotAllowed("That document is part of the bundled corpus; change it in knowledge/corpus instead.")
            removed = await store.delete_document(session, slug)
            await passage_store.refresh_lexemes(session)
            await audit.record(
                session, actor, action="knowledge.document.remove", subject_type="knowledge_document",
                subject_ids=[document_id], via=via, allowed=True,
            )
        return removed

    async def _own_upload(self, session: AsyncSession, actor: Actor, upload_id: int) -> tuple[KnowledgeUpload, bool]:
        """The caller's upload (locked: two presses of Add run one after the other) and whether it has expired."""
        row = (await session.execute(
            select(KnowledgeUpload, KnowledgeUpload.created_at < func.now() - PENDING_FOR)
            .where(KnowledgeUpload.id == upload_id, KnowledgeUpload.staff_id == actor.staff_id)
            .with_for_update(of=KnowledgeUpload)
        )).first()
        if row is None:
            raise NotFound("That upload isn't available. Send the file again.")
        return row[0], bool(row[1])


def check_file_name(file_name: str) -> None:
    """Refuse anything but a markdown file by its name (before it is downloaded)."""
    if PurePosixPath(_short_name(file_name)).suffix.lower() not in (".md", ".markdown"):
        raise InvalidInput("I can only add markdown documents (.md) to the knowledge base.")


def _parse_upload(name: str, data: bytes) -> Document:
    """``name``: the file's own name (``_short_name``)."""
    check_file_name(name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"That file is too large ({len(data) // 1024:,} KB); the limit is "
                           f"{MAX_UPLOAD_BYTES // 1024} KB.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{name} isn't UTF-8 text. Save it as UTF-8 markdown and send it again.") from None
    if "\x00" in text:
        raise InvalidInput(f"{name} isn't a text file.")
    slug = slugify(PurePosixPath(name).stem)[:120].strip("-")
    try:
        return parse_document(text, slug)
    except DocumentError as exc:
        raise InvalidInput(f"{name}: {str(exc).rstrip('.')}. Nothing was added.") from None


def _short_name(file_name: str) -> str:
    """The file's own name (no folders), trimmed to what the table holds."""
    return PurePosixPath(file_name.replace("\\", "/")).name[:200] or "document.md"


__all__ = [
    "MAX_UPLOAD_BYTES", "AddedDocument", "KnowledgeUploads", "UploadPreview", "UploadedDocument", "check_file_name",
]
