"""The ingest side's SQL: documents and their chunks written, replaced, moved and deleted (a bundled corpus file and
an admin's upload never overwrite each other). Every value is a bound parameter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.chunk_sql import vector_literal
from knowledge.chunking import Chunk
from knowledge.documents import Document
from knowledge.parsed import DocumentError


@dataclass(frozen=True, slots=True)
class StoredChunk:
    content_hash: str
    embedding_model: str
    embedding_dim: int
    ordinal: int
    section: str
    page_start: int | None = None
    page_end: int | None = None
    role: str = "other"


async def upsert_document(session: AsyncSession, doc: Document, *, source: str = "corpus") -> int:
    """Insert or update the document row (locking it for this transaction); returns its id.

    A slug belongs to one source: a bundled corpus file never overwrites an admin's upload, nor an upload a bundled
    file (``DocumentError``)."""
    row = await session.execute(
        text(
            """
            INSERT INTO knowledge_documents (slug, title, kind, audience, grade_band, version, reviewed_by,
                                             reviewed_on, approved, content_hash, updated_at, source, format, pages)
            VALUES (:slug, :title, :kind, :audience, :grade_band, :version, :reviewed_by, :reviewed_on, :approved,
                    :content_hash, now(), :source, :format, :pages)
            ON CONFLICT (slug) DO UPDATE SET
                title = EXCLUDED.title, kind = EXCLUDED.kind, audience = EXCLUDED.audience,
                grade_band = EXCLUDED.grade_band, version = EXCLUDED.version, reviewed_by = EXCLUDED.reviewed_by,
                reviewed_on = EXCLUDED.reviewed_on, approved = EXCLUDED.approved,
                content_hash = EXCLUDED.content_hash, format = EXCLUDED.format, pages = EXCLUDED.pages,
                updated_at = CASE WHEN knowledge_documents.content_hash = EXCLUDED.content_hash
                                  THEN knowledge_documents.updated_at ELSE now() END
            WHERE knowledge_documents.source = EXCLUDED.source
            RETURNING id
            """
        ),
        {
            "slug": doc.slug, "title": doc.title, "kind": doc.kind, "audience": doc.audience,
            "grade_band": doc.grade_band, "version": doc.version, "reviewed_by": doc.reviewed_by,
            "reviewed_on": doc.reviewed_on, "approved": doc.approved, "content_hash": doc.content_hash,
            "source": source, "format": doc.format, "pages": doc.pages,
        },
    )
    document_id = row.scalar_one_or_none()
    if document_id is None:
        other = "an uploaded" if source == "corpus" else "a bundled"
        raise DocumentError(f"{doc.slug}: {other} document already has this name")
    return int(document_id)


async def document_source(session: AsyncSession, slug: str) -> tuple[str, str] | None:
    """``(source, version)`` of the stored document with this slug, or None."""
    row = (await session.execute(
        text("SELECT source, version FROM knowledge_documents WHERE slug = :slug"), {"slug": slug})).first()
    return (str(row.source), str(row.version)) if row else None


async def uploaded_document_titled(session: AsyncSession, title: str) -> tuple[str, str] | None:
    """``(slug, version)`` of the uploaded document with this title (case and spacing aside), or None."""
    row = (await session.execute(
        text("SELECT slug, version FROM knowledge_documents WHERE source = 'upload' "
             "AND lower(regexp_replace(title, '\\s+', ' ', 'g')) = lower(:title) ORDER BY id LIMIT 1"),
        {"title": " ".join(title.split())})).first()
    return (str(row.slug), str(row.version)) if row else None


async def stored_chunks(session: AsyncSession, document_id: int) -> dict[str, StoredChunk]:
    rows = await session.execute(
        text(
            "SELECT id, content_hash, embedding_model, "
            "CASE WHEN embedding IS NULL THEN 0 ELSE embedding_dim END AS embedding_dim, ordinal, section, "
            "page_start, page_end, role "
            "FROM knowledge_chunks WHERE document_id = :doc"
        ),
        {"doc": document_id},
    )
    return {r.id: StoredChunk(r.content_hash, r.embedding_model, r.embedding_dim, r.ordinal, r.section,
                              r.page_start, r.page_end, r.role) for r in rows}


async def delete_chunks(session: AsyncSession, ids: Sequence[str]) -> None:
    if ids:
        await session.execute(text("DELETE FROM knowledge_chunks WHERE id = ANY(:ids)"), {"ids": list(ids)})


async def write_chunks(
    session: AsyncSession, document_id: int, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]],
    model: str, dim: int,
) -> None:
    """Insert or replace chunks with their new embeddings (a chunk id moving between documents moves too)."""
    if not chunks:
        return
    await session.execute(
        text(
            """
            INSERT INTO knowledge_chunks (id, document_id, ordinal, section, role, content, content_hash,
                                          embedding_model, embedding_dim, embedding, page_start, page_end)
            VALUES (:id, :doc, :ordinal, :section, :role, :content, :hash, :model, :dim, CAST(:embedding AS vector),
                    :page_start, :page_end)
            ON CONFLICT (id) DO UPDATE SET
                document_id = EXCLUDED.document_id, ordinal = EXCLUDED.ordinal, section = EXCLUDED.section,
                role = EXCLUDED.role,
                content = EXCLUDED.content, content_hash = EXCLUDED.content_hash,
                embedding_model = EXCLUDED.embedding_model, embedding_dim = EXCLUDED.embedding_dim,
                embedding = EXCLUDED.embedding, page_start = EXCLUDED.page_start, page_end = EXCLUDED.page_end
            """
        ),
        [
            {
                "id": c.id, "doc": document_id, "ordinal": c.ordinal, "section": c.section, "role": c.role,
                "content": c.content,
                "hash": c.content_hash, "model": model, "dim": dim, "embedding": vector_literal(v),
                "page_start": c.page_start, "page_end": c.page_end,
            }
            for c, v in zip(chunks, vectors, strict=True)
        ],
    )


async def move_chunks(session: AsyncSession, chunks: Sequence[Chunk]) -> None:
    """Unchanged content whose position, heading, pages or role changed: update the cheap columns only."""
    if chunks:
        await session.execute(
            text("UPDATE knowledge_chunks SET ordinal = :ordinal, section = :section, page_start = :page_start, "
                 "page_end = :page_end, role = :role WHERE id = :id"),
            [{"id": c.id, "ordinal": c.ordinal, "section": c.section, "page_start": c.page_start,
              "page_end": c.page_end, "role": c.role} for c in chunks],
        )


async def document_slugs(session: AsyncSession, source: str = "corpus") -> list[str]:
    return list((await session.execute(
        text("SELECT slug FROM knowledge_documents WHERE source = :source ORDER BY slug"), {"source": source}
    )).scalars())


async def delete_document(session: AsyncSession, slug: str) -> int:
    """Delete a document and (by cascade) its chunks and vectors; returns how many chunks went with it."""
    count = await session.execute(
        text(
            "SELECT count(*) FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id "
            "WHERE d.slug = :slug"
        ),
        {"slug": slug},
    )
    removed = int(count.scalar_one())
    await session.execute(text("DELETE FROM knowledge_documents WHERE slug = :slug"), {"slug": slug})
    return removed
