"""Ingest: idempotency, incremental re-embedding, deletions, model replacement (real PostgreSQL + pgvector)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from knowledge.hnsw_indexes import hnsw_index_name
from knowledge.ingest import ingest
from tests.support.knowledge import CountingEmbedder


async def _rows(sessions, sql: str, **params):  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return (await session.execute(text(sql), params)).all()


async def test_a_second_ingest_of_an_unchanged_corpus_embeds_nothing(sessions, small_corpus: Path, counting) -> None:
    first = await ingest(sessions, counting, small_corpus)
    assert first.documents == 3 and first.chunks_embedded > 20 and first.chunks_unchanged == 0
    assert first.index_created
    counting.embedded.clear()
    second = await ingest(sessions, counting, small_corpus)
    assert (second.chunks_embedded, second.chunks_unchanged, second.chunks_deleted) == (0, first.chunks_embedded, 0)
    assert counting.embedded == [] and not second.index_created
    [(index,)] = await _rows(sessions, "SELECT indexdef FROM pg_indexes WHERE indexname = :n",
                             n=hnsw_index_name(counting.name))
    assert "hnsw" in index and "vector(384)" in index and "fake-embedder" in index


async def test_editing_one_section_re_embeds_only_that_chunk(sessions, small_corpus: Path, counting) -> None:
    await ingest(sessions, counting, small_corpus)
    path = small_corpus / "safety" / "concussion-recognition.md"
    path.write_text(path.read_text().replace("when in doubt, sit them out", "if unsure, keep them out"))
    counting.embedded.clear()
    report = await ingest(sessions, counting, small_corpus)
    assert report.chunks_embedded == 1 and report.chunks_deleted == 0
    assert counting.embedded[0].startswith("Concussion Recognition and Removal From Play — Purpose\n")
    [(content,)] = await _rows(
        sessions, "SELECT content FROM knowledge_chunks WHERE id = 'concussion-recognition#purpose'")
    assert "if unsure, keep them out" in content


async def test_a_removed_section_and_a_removed_document_leave_no_chunks_or_vectors(
    sessions, small_corpus: Path, counting
) -> None:
    await ingest(sessions, counting, small_corpus)
    path = small_corpus / "safety" / "lightning-severe-weather.md"
    body = path.read_text()
    start = body.index("## Resuming Activity")
    end = body.index("## ", start + 3)
    path.write_text(body[:start] + body[end:])
    report = await ingest(sessions, counting, small_corpus)
    assert report.chunks_deleted == 1 and report.chunks_embedded == 0
    assert not await _rows(
        sessions, "SELECT 1 FROM knowledge_chunks WHERE id = 'lightning-severe-weather#resuming-activity'")

    path.unlink()
    report = await ingest(sessions, counting, small_corpus)
    assert report.documents_deleted == 1 and report.chunks_deleted > 5
    assert not await _rows(sessions, "SELECT 1 FROM knowledge_chunks WHERE id LIKE 'lightning-severe-weather#%'")
    assert not await _rows(sessions, "SELECT 1 FROM knowledge_documents WHERE slug = 'lightning-severe-weather'")


async def test_ingesting_one_file_does_not_delete_the_other_documents(sessions, small_corpus: Path, counting) -> None:
    await ingest(sessions, counting, small_corpus)
    report = await ingest(sessions, counting, small_corpus / "safety" / "concussion-recognition.md")
    assert report.documents == 1 and report.documents_deleted == 0
    assert len(await _rows(sessions, "SELECT slug FROM knowledge_documents")) == 3


async def test_re_ingesting_with_another_model_replaces_every_vector_of_the_document(
    sessions, small_corpus: Path, counting
) -> None:
    await ingest(sessions, counting, small_corpus)
    other = CountingEmbedder(name="other-model", dim=16)
    report = await ingest(sessions, other, small_corpus)
    assert report.chunks_unchanged == 0 and report.chunks_embedded > 20
    assert report.chunks_embedded + report.passages_embedded == len(other.embedded)
    for table in ("knowledge_chunks", "knowledge_passages"):
        models = await _rows(sessions, f"SELECT DISTINCT embedding_model, embedding_dim, vector_dims(embedding) "
                                       f"FROM {table}")
        assert models == [("other-model", 16, 16)]


async def test_a_corpus_with_an_invalid_document_changes_nothing(sessions, small_corpus: Path, counting) -> None:
    await ingest(sessions, counting, small_corpus)
    bad = small_corpus / "safety" / "broken.md"
    bad.write_text("---\ntitle: Broken\nkind: rumor\n---\n## A\ntext\n")
    (small_corpus / "safety" / "concussion-recognition.md").unlink()
    report = await ingest(sessions, counting, small_corpus)
    assert report.errors and "broken.md" in report.errors[0]
    assert len(await _rows(sessions, "SELECT slug FROM knowledge_documents")) == 3  # nothing deleted


async def test_passages_follow_their_chunks_through_edits_and_deletions(sessions, small_corpus: Path, counting) -> None:
    first = await ingest(sessions, counting, small_corpus)
    assert first.passages_embedded > first.chunks_embedded
    orphans = await _rows(sessions, "SELECT c.id FROM knowledge_chunks c WHERE NOT EXISTS "
                                    "(SELECT 1 FROM knowledge_passages p WHERE p.chunk_id = c.id)")
    assert orphans == []
    [(before,)] = await _rows(sessions, "SELECT count(*) FROM knowledge_passages")
    path = small_corpus / "safety" / "concussion-recognition.md"
    path.write_text(path.read_text().replace("when in doubt, sit them out", "if unsure, keep them out"))
    counting.embedded.clear()
    report = await ingest(sessions, counting, small_corpus)
    assert report.chunks_embedded == 1 and 0 < report.passages_embedded == len(counting.embedded) - 1
    assert all(t.startswith("Concussion Recognition and Removal From Play — Purpose\n") for t in counting.embedded)
    [(after,)] = await _rows(sessions, "SELECT count(*) FROM knowledge_passages")
    assert after == before  # replaced, not duplicated
    assert await _rows(sessions, "SELECT 1 FROM knowledge_passages WHERE content LIKE '%if unsure, keep them out%'")
    (small_corpus / "safety" / "lightning-severe-weather.md").unlink()
    await ingest(sessions, counting, small_corpus)
    assert not await _rows(
        sessions, "SELECT 1 FROM knowledge_passages WHERE chunk_id LIKE 'lightning-severe-weather#%'")


async def test_corpus_lexeme_frequencies_are_recomputed_at_ingest(sessions, small_corpus: Path, counting) -> None:
    from knowledge.passage_store import lexeme_support

    await ingest(sessions, counting, small_corpus)
    assert await _rows(sessions, "SELECT doc_freq FROM knowledge_lexemes WHERE lexeme = 'lightn'")
    async with sessions() as session:
        n, unknown = await lexeme_support(session, "lightning during a tornado warning")
    assert n == 3 and "tornado" in unknown and "lightn" not in unknown  # "during" is a stop word
    (small_corpus / "safety" / "lightning-severe-weather.md").unlink()
    await ingest(sessions, counting, small_corpus)
    assert not await _rows(sessions, "SELECT 1 FROM knowledge_lexemes WHERE lexeme = 'lightn'")


async def test_a_folder_of_pdf_word_and_text_files_is_ingested_with_pages_and_a_bad_file_changes_nothing(
    sessions, tmp_path: Path, counting
) -> None:
    from tests.support import documents as made_files

    folder = tmp_path / "district"
    folder.mkdir()
    (folder / "Concussion Protocol.pdf").write_bytes(made_files.pdf_protocol())
    (folder / "Concussion Steps.docx").write_bytes(made_files.word_protocol())
    (folder / "field-trip-policy.txt").write_text("Field Trip Policy\n\nPermission\nEvery trip needs signed forms.\n")
    (folder / "locked.pdf").write_bytes(made_files.pdf_protocol(encrypted=True))
    refused = await ingest(sessions, counting, folder, overrides={"kind": "policy"})
    assert refused.errors == ["locked.pdf: the PDF is password-protected; remove the password and send it again"]
    assert await _rows(sessions, "SELECT slug FROM knowledge_documents") == []  # nothing when one file is bad

    (folder / "locked.pdf").unlink()
    report = await ingest(sessions, counting, folder, overrides={"audience": "coaches"})
    assert report.errors == [] and report.documents == 3
    docs = await _rows(sessions, "SELECT slug, format, pages, kind, audience FROM knowledge_documents ORDER BY slug")
    assert docs == [("concussion-protocol", "pdf", 4, "safety", "coaches"),
                    ("concussion-steps", "docx", 3, "safety", "coaches"),
                    ("field-trip-policy", "text", None, "policy", "coaches")]
    pages = await _rows(sessions, "SELECT id, page_start, page_end FROM knowledge_chunks WHERE id LIKE 'concussion-%' "
                        "ORDER BY id")
    assert ("concussion-protocol#return-to-play", 3, 3) in pages and ("concussion-steps#immediate-steps", 2, 2) in pages
