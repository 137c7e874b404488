"""Admins add documents (PDF, Word, markdown, plain text) to the knowledge base at run time: preview, then Add.

``preview`` reads the file in a child process with a time limit (``knowledge.parsers.isolated``), guesses the
metadata the card asks for (front matter in markdown fills it) and holds the original file and what was read as a
pending ``knowledge_uploads`` row; the preview card's Add button names only that row and carries the metadata the
admin confirmed. ``add`` validates that metadata (``InvalidMetadata`` names each bad field) and ingests — document,
chunks with their pages, passages, lexeme frequencies, the upload's status and the audit row — in one transaction,
so a failure leaves the knowledge base as it was. Only admins may do either (checked here, on the server-resolved
identity; refusals are audited).

A new version of an uploaded document (the same file name, or the same title) replaces its chunks in that same
transaction, so no answer ever sees two versions; the earlier upload row stays, status ``replaced``, with its file,
title and version, as the audit record. An upload never replaces a bundled corpus document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.models import KnowledgeDocument, KnowledgeUpload, Role, Staff
from knowledge import document_store, passage_store
from knowledge.documents import REQUIRED, document_from_parsed, metadata_problems, slugify
from knowledge.embedders import Embedder
from knowledge.ingest import IngestReport, finish_ingest, ingest_document
from knowledge.metadata import guess
from knowledge.originals import MEDIA_TYPES
from knowledge.parsed import DocumentError, ParsedFile
from knowledge.parsers import Limits, check_size, file_format
from knowledge.parsers.isolated import parse_isolated

MAX_UPLOAD_BYTES = Limits().max_bytes  # the default cap of PDF and Word files (markdown and text: 2 MB)
PENDING_FOR = timedelta(hours=24)
CARD_FIELDS = ("title", "kind", "audience", "grade_band", "version", "reviewed_by", "reviewed_on")
ADMINS_ONLY = "Only administrators can add documents to the knowledge base."
SOURCE = "upload"


class InvalidMetadata(InvalidInput):
    """The card's metadata has errors: ``errors`` maps each bad field to what is wrong."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Please fix the highlighted fields: " + "; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class UploadPreview:
    upload_id: int
    file_name: str
    parsed: ParsedFile  # what was read
    values: dict[str, str]  # the metadata to show on the card: guessed, front matter, or as the admin typed it
    sections: list[str]
    replaces_version: str | None  # an earlier upload of this document (same file name or title), which Add replaces
    slug: str = ""
    errors: dict[str, str] = field(default_factory=dict)


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
    def __init__(self, sessions: async_sessionmaker[AsyncSession], embedder: Embedder, *,
                 limits: Limits | None = None, parse_timeout_s: float = 60.0) -> None:
        self._sessions = sessions
        self._embedder = embedder
        self.limits = limits or Limits()
        self._timeout = parse_timeout_s

    async def check_allowed(self, actor: Actor, *, via: str) -> None:
        """Raise ``NotAllowed`` (audited) unless the caller is an admin — before anything is downloaded."""
        if actor.role != Role.admin:
            await audit.record_refusal(
                self._sessions, actor, action="knowledge.upload", subject_type="staff",
                subject_ids=[actor.staff_id], via=via, reason="admins only",
            )
            raise NotAllowed(ADMINS_ONLY)

    async def preview(self, actor: Actor, file_name: str, data: bytes, *, via: str) -> UploadPreview:
        """Read an uploaded file and hold it for the admin's confirmation; nothing is searchable yet."""
        await self.check_allowed(actor, via=via)
        name = _short_name(file_name)
        slug = slugify(PurePosixPath(name).stem)[:120].strip("-")
        try:
            check_file_name(name)
            check_size(name, len(data), self.limits)
            parsed = await parse_isolated(name, data, self.limits, self._timeout)
            problems = metadata_problems({k: v for k, v in parsed.fields.items() if k in (*REQUIRED, "approved")})
            if problems:
                raise DocumentError(next(iter(problems.values())))
            if not slug:
                raise DocumentError(f"file name must be a slug (lowercase, digits and dashes), not {name!r}")
        except DocumentError as exc:
            raise InvalidInput(f"{name}: {str(exc).rstrip('.')}. Nothing was added.") from None
        values = guess(parsed, today=date.today(), reviewer=actor.display_name)
        async with unit_of_work(self._sessions) as session:
            # Previews nobody confirmed within the day are dropped with their file (an added upload stays: it is
            # the record of which version was added, and by whom).
            await session.execute(delete(KnowledgeUpload).where(
                KnowledgeUpload.status == "pending", KnowledgeUpload.created_at < func.now() - PENDING_FOR))
            existing = await document_store.document_source(session, slug)
            if existing and existing[0] != SOURCE:
                raise InvalidInput(
                    f"A bundled document is already called “{slug}”. Rename the file and send it again."
                )
            if existing is None:  # the same title as an uploaded document: a new version of it
                same_title = await document_store.uploaded_document_titled(session, values["title"])
                if same_title is not None:
                    slug, existing = same_title[0], (SOURCE, same_title[1])
            upload_id = (await session.execute(
                insert(KnowledgeUpload).values(
                    staff_id=actor.staff_id, file_name=name, slug=slug,
                    content=data.decode("utf-8") if parsed.format in ("markdown", "text") else "",
                    content_hash=hashlib.sha256(data).hexdigest(), original=data,
                    media_type=MEDIA_TYPES[parsed.format], parsed=parsed.to_json(),
                ).returning(KnowledgeUpload.id)
            )).scalar_one()
        return UploadPreview(
            upload_id=upload_id, file_name=name, parsed=parsed, values=values,
            sections=list(dict.fromkeys(s.heading for s in parsed.sections)),
            replaces_version=existing[1] if existing else None, slug=slug,
        )

    async def pending_preview(self, actor: Actor, upload_id: int, values: dict[str, str] | None = None,
                              errors: dict[str, str] | None = None, *, via: str) -> UploadPreview:
        """The preview of the caller's pending upload again (to show the card with the admin's values and errors)."""
        await self.check_allowed(actor, via=via)
        async with self._sessions() as session:
            upload, _ = await self._own_upload(session, actor, upload_id, lock=False)
            if upload.parsed is None:
                raise InvalidInput("That preview has expired. Send the file again to add it.")
            parsed = ParsedFile.from_json(upload.parsed)
            existing = await document_store.document_source(session, upload.slug)
        shown = guess(parsed, today=date.today(), reviewer=actor.display_name) | (values or {})
        return UploadPreview(
            upload_id=upload.id, file_name=upload.file_name, parsed=parsed, values=shown,
            sections=list(dict.fromkeys(s.heading for s in parsed.sections)),
            replaces_version=existing[1] if existing and existing[0] == SOURCE else None, slug=upload.slug,
            errors=errors or {},
        )

    async def add(self, actor: Actor, upload_id: int, values: dict[str, Any] | None = None, *,
                  via: str) -> AddedDocument:
        """Ingest a previewed upload (the caller's own, still pending) with the card's metadata (``values``; the
        guessed defaults when None) in one transaction; a second press adds nothing more. ``InvalidMetadata`` names
        each bad field and changes nothing."""
        await self.check_allowed(actor, via=via)
        async with unit_of_work(self._sessions) as session:
            upload, expired = await self._own_upload(session, actor, upload_id)
            if upload.status not in ("pending", "added", "replaced"):
                raise InvalidInput("That upload was cancelled. Send the file again to add it.")
            if upload.status != "pending":
                return AddedDocument(upload.title or upload.file_name, upload.slug, upload.version or "", 0,
                                     already_added=True)
            if expired or upload.parsed is None:  # None: previewed by a release that kept only markdown text
                raise InvalidInput("That preview has expired. Send the file again to add it.")
            parsed = ParsedFile.from_json(upload.parsed)
            fields = guess(parsed, today=date.today(), reviewer=actor.display_name)
            if values is not None:
                fields |= {k: _card_text(values.get(k)) for k in CARD_FIELDS if k in values}
            errors = _field_errors(fields)
            if errors:
                raise InvalidMetadata(errors)
            try:
                document = document_from_parsed(parsed, upload.slug, fields, upload.content_hash)
            except DocumentError as exc:
                raise InvalidInput(f"{exc}.") from None
            report = IngestReport()
            try:
                document_id = await ingest_document(session, self._embedder, document, report, source=SOURCE)
            except DocumentError:
                raise InvalidInput(
                    f"A bundled document is now called “{document.slug}”. Rename the file and send it again."
                ) from None
            await finish_ingest(session, self._embedder)
            await session.execute(  # earlier versions stay as the record of what was added when, by whom
                update(KnowledgeUpload).where(KnowledgeUpload.document_id == document_id,
                                              KnowledgeUpload.status == "added", KnowledgeUpload.id != upload.id)
                .values(status="replaced")
            )
            await session.execute(
                update(KnowledgeUpload).where(KnowledgeUpload.id == upload.id)
                .values(status="added", decided_at=func.now(), document_id=document_id, title=document.title,
                        version=document.version)
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
                    .values(status="cancelled", decided_at=func.now(), content="", original=None, parsed=None)
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
            removed = await document_store.delete_document(session, slug)
            await passage_store.refresh_lexemes(session)
            await audit.record(
                session, actor, action="knowledge.document.remove", subject_type="knowledge_document",
                subject_ids=[document_id], via=via, allowed=True,
            )
        return removed

    async def _own_upload(self, session: AsyncSession, actor: Actor, upload_id: int,
                          *, lock: bool = True) -> tuple[KnowledgeUpload, bool]:
        """The caller's upload (locked: two presses of Add run one after the other) and whether it has expired."""
        query = (select(KnowledgeUpload, KnowledgeUpload.created_at < func.now() - PENDING_FOR)
                 .where(KnowledgeUpload.id == upload_id, KnowledgeUpload.staff_id == actor.staff_id))
        row = (await session.execute(query.with_for_update(of=KnowledgeUpload) if lock else query)).first()
        if row is None:
            raise NotFound("That upload isn't available. Send the file again.")
        return row[0], bool(row[1])


def check_file_name(file_name: str) -> None:
    """Refuse unsupported and macro-enabled types by the file's name (before it is downloaded)."""
    try:
        file_format(_short_name(file_name))
    except DocumentError as exc:
        raise InvalidInput(f"{exc}.") from None


def _card_text(raw: object) -> str:
    if isinstance(raw, bool) or raw is None:
        return ""
    return " ".join(str(raw).split())[:400]


def _field_errors(fields: dict[str, str]) -> dict[str, str]:
    """field → message for the card: required fields first, then each value's form."""
    errors = {k: "Required." for k in REQUIRED if not fields.get(k, "").strip()}
    for key, problem in metadata_problems({k: v for k, v in fields.items() if k not in errors}).items():
        errors[key] = problem[:1].upper() + problem[1:] + "."
    return errors


def _short_name(file_name: str) -> str:
    """The file's own name (no folders), trimmed to what the table holds."""
    return PurePosixPath(file_name.replace("\\", "/")).name[:200] or "document"


__all__ = [
    "MAX_UPLOAD_BYTES", "AddedDocument", "InvalidMetadata", "KnowledgeUploads", "UploadPreview", "UploadedDocument",
    "check_file_name",
]
