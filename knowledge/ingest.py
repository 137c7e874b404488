"""Incremental ingest: parse, chunk, embed only what changed, upsert; one transaction per document.

A chunk is reused when its id, content hash, embedding model and dimension all match what is stored; anything else
is (re-)embedded. Chunks that no longer exist are deleted, and when ``root`` is a directory, documents whose file
disappeared are deleted with their chunks. Re-ingesting with another embedder replaces every chunk's vector, so one
document never holds two models' vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import unit_of_work
from knowledge import document_store, hnsw_indexes, passage_store
from knowledge.chunking import Chunk, chunk_document, passages
from knowledge.documents import Document, corpus_files
from knowledge.embedders import Embedder
from knowledge.loading import load_any
from knowledge.originals import keep_original, retire_originals
from knowledge.parsed import DocumentError

log = logging.getLogger(__name__)

Progress = Callable[[str], None]  # called once per document with its slug


@dataclass(slots=True)
class IngestReport:
    documents: int = 0
    documents_deleted: int = 0
    chunks_embedded: int = 0
    passages_embedded: int = 0
    chunks_unchanged: int = 0
    chunks_deleted: int = 0
    index_created: bool = False
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{self.documents} documents: {self.chunks_embedded} chunks ({self.passages_embedded} passages) embedded, "
            f"{self.chunks_unchanged} unchanged, "
            f"{self.chunks_deleted} deleted; {self.documents_deleted} documents removed"
        )
        if self.index_created:
            text += "; HNSW index created"
        return text + "".join(f"\nerror: {e}" for e in self.errors)


async def ingest(
    sessions: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    root: Path,
    progress: Progress | None = None,
    *,
    title_prefix: bool = True,
    overrides: dict[str, str] | None = None,
    keep_originals: bool = False,
) -> IngestReport:
    """Bring the store in line with the documents under ``root`` (a directory, or one file) — markdown, PDF, Word
    or text; ``overrides`` set metadata of files without front matter (kind, audience, grade_band...).
    ``keep_originals``: each file is also kept as its document's original (``knowledge.originals``), for citation
    links — what ``python -m knowledge ingest PATH`` does for files outside the bundled corpus."""
    report = IngestReport()
    files = corpus_files(root)
    if not files:
        raise DocumentError(f"no supported documents (PDF, Word, markdown, text) under {root}")
    documents: list[Document] = []
    originals: dict[str, tuple[str, bytes]] = {}
    for path in files:
        try:
            document = load_any(path, overrides)
        except DocumentError as exc:
            report.errors.append(str(exc))
            continue
        documents.append(document)
        if keep_originals:
            originals[document.slug] = (path.name, path.read_bytes())
    if report.errors:  # never delete or half-update on a corpus that does not parse
        return report
    return await ingest_documents(sessions, embedder, documents, progress, title_prefix=title_prefix,
                                  remove_missing=root.is_dir(), report=report, originals=originals)


async def ingest_documents(
    sessions: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    documents: list[Document],
    progress: Progress | None = None,
    *,
    title_prefix: bool = True,
    remove_missing: bool = False,
    report: IngestReport | None = None,
    originals: dict[str, tuple[str, bytes]] | None = None,
) -> IngestReport:
    """Store already-loaded documents, one transaction each; ``remove_missing``: bundled documents not among them
    are deleted (admins' uploads never are); ``originals``: slug → (file name, bytes) kept with the document."""
    report = report or IngestReport()
    slugs = [d.slug for d in documents]
    if len(set(slugs)) != len(slugs):
        report.errors.append("two files share a slug: " + ", ".join(sorted({s for s in slugs if slugs.count(s) > 1})))
        return report

    for document in documents:
        try:
            async with unit_of_work(sessions) as session:
                document_id = await ingest_document(session, embedder, document, report, title_prefix=title_prefix)
                if originals and document.slug in originals:
                    await keep_original(session, document_id, document, *originals[document.slug], origin="cli")
        except DocumentError as exc:  # e.g. an admin's upload holds this name: that document is left as it is
            report.errors.append(str(exc))
            continue
        report.documents += 1
        if progress:
            progress(document.slug)

    if remove_missing:  # bundled documents whose file is gone; admins' uploads are not the directory's to remove
        async with unit_of_work(sessions) as session:
            for slug in sorted(set(await document_store.document_slugs(session, "corpus")) - set(slugs)):
                await retire_originals(session, slug)
                report.chunks_deleted += await document_store.delete_document(session, slug)
                report.documents_deleted += 1
                log.info("knowledge document removed", extra={"slug": slug})
    async with unit_of_work(sessions) as session:
        report.index_created = await finish_ingest(session, embedder)
    return report


async def finish_ingest(session: AsyncSession, embedder: Embedder) -> bool:
    """After documents changed: the model's HNSW index (True when created now) and the lexeme frequencies."""
    created = await hnsw_indexes.ensure_hnsw_index(session, embedder.name, embedder.dim)
    await passage_store.refresh_lexemes(session)
    return created


async def ingest_document(
    session: AsyncSession, embedder: Embedder, document: Document, report: IngestReport,
    *, title_prefix: bool = True, source: str = "corpus",
) -> int:
    """Bring one document's rows in line with ``document`` inside the caller's transaction; returns its id."""
    chunks = chunk_document(document, title_prefix=title_prefix)
    document_id = await document_store.upsert_document(session, document, source=source)
    stored = await document_store.stored_chunks(session, document_id)
    fresh: list[Chunk] = []
    moved: list[Chunk] = []
    for chunk in chunks:
        old = stored.get(chunk.id)
        if old and (old.content_hash, old.embedding_model, old.embedding_dim) == (
            chunk.content_hash, embedder.name, embedder.dim
        ):
            report.chunks_unchanged += 1
            if (old.ordinal, old.section, old.page_start, old.page_end, old.role) != (
                chunk.ordinal, chunk.section, chunk.page_start, chunk.page_end, chunk.role
            ):
                moved.append(chunk)
        else:
            fresh.append(chunk)
    gone = sorted(set(stored) - {c.id for c in chunks})
    await document_store.delete_chunks(session, gone)
    report.chunks_deleted += len(gone)
    vectors = await embedder.embed_documents([c.content for c in fresh])
    await document_store.write_chunks(session, document_id, fresh, vectors, embedder.name, embedder.dim)
    await document_store.move_chunks(session, moved)
    report.chunks_embedded += len(fresh)
    # Sentence passages of every re-embedded chunk, and of unchanged chunks stored before passages existed.
    missing = set(await passage_store.chunks_missing_passages(session, document_id, embedder.name, embedder.dim))
    missing |= {c.id for c in fresh}
    todo = {c.id: passages(c) for c in chunks if c.id in missing}
    flat = [p for ps in todo.values() for p in ps]
    passage_vectors = await embedder.embed_documents(flat)
    await passage_store.write_passages(session, todo, passage_vectors, embedder.name, embedder.dim)
    report.passages_embedded += len(flat)
    return document_id
