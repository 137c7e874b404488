"""The original file of a document that did not come through the Teams preview card — a file ingested with
``python -m knowledge ingest PATH`` or synced from a SharePoint folder — kept as a ``knowledge_uploads`` row
(``origin`` cli | sharepoint, no staff member), the same row and bytea an admin's upload keeps, so citations link to
it through ``knowledge.files`` alike.

Called inside the transaction that ingests the document: the original changes with the chunks or not at all. The
same bytes again change nothing; new bytes mark the earlier row ``replaced`` (kept, with its file, as the record of
what was read when); a retired document's rows become ``removed`` and lose their file.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.documents import Document

MEDIA_TYPES = {
    "pdf": "application/pdf", "markdown": "text/markdown; charset=utf-8", "text": "text/plain; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
ORIGINS = ("cli", "sharepoint")


async def keep_original(session: AsyncSession, document_id: int, document: Document, file_name: str, data: bytes,
                        *, origin: str) -> bool:
    """Store ``data`` as the current original of the document (True), unless it already is (False)."""
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}")
    digest = hashlib.sha256(data).hexdigest()
    current = (await session.execute(text(
        "SELECT content_hash FROM knowledge_uploads WHERE document_id = :doc AND status = 'added' "
        "AND original IS NOT NULL ORDER BY id DESC LIMIT 1"), {"doc": document_id})).scalar()
    if current == digest:
        return False
    await session.execute(text(
        "UPDATE knowledge_uploads SET status = 'replaced' WHERE document_id = :doc AND status = 'added'"),
        {"doc": document_id})
    await session.execute(text(
        "INSERT INTO knowledge_uploads (staff_id, origin, file_name, slug, content, content_hash, status, original, "
        "media_type, title, version, decided_at, document_id) VALUES (NULL, :origin, :name, :slug, '', :hash, "
        "'added', :data, :media, :title, :version, now(), :doc)"),
        {"origin": origin, "name": file_name[:200], "slug": document.slug, "hash": digest, "data": data,
         "media": MEDIA_TYPES.get(document.format, "application/octet-stream"), "title": document.title[:300],
         "version": document.version[:20], "doc": document_id})
    return True


async def retire_originals(session: AsyncSession, slug: str) -> None:
    """Before a command-line or SharePoint document is deleted: its originals stop being served and are dropped."""
    await session.execute(text(
        "UPDATE knowledge_uploads u SET status = 'removed', original = NULL FROM knowledge_documents d "
        "WHERE u.document_id = d.id AND d.slug = :slug AND u.origin IN ('cli', 'sharepoint')"), {"slug": slug})
