"""Files as districts have them, read by knowledge.parsers: Word and PDF made by real writers (python-docx, fpdf2),
and the files that must be refused with a reason (encrypted, scanned, damaged, macro-enabled, empty, too large)."""

from __future__ import annotations

import pytest

from knowledge.chunking import chunk_document
from knowledge.documents import document_from_parsed
from knowledge.metadata import guess
from knowledge.parsed import DocumentError
from knowledge.parsers import Limits, parse_file
from knowledge.parsers.isolated import parse_isolated, parse_isolated_sync
from tests.support import documents as made_files

META = {"title": "Concussion Protocol", "kind": "safety", "audience": "all-staff", "grade_band": "K-12",
        "version": "1.0", "reviewed_by": "Risk Office", "reviewed_on": "2026-11-30"}


def _by_heading(parsed):  # type: ignore[no-untyped-def]
    return {s.heading: s for s in parsed.sections}


def test_a_word_file_keeps_heading_styles_numbered_steps_tables_and_pages() -> None:
    parsed = parse_file("Concussion Protocol.docx", made_files.word_protocol())
    sections = _by_heading(parsed)
    assert (parsed.format, parsed.title, parsed.pages) == ("docx", "Concussion Protocol", 3)
    assert list(sections) == ["Recognition", "Immediate Steps", "Return to Play"]
    assert sections["Immediate Steps"].text.splitlines() == [
        "1. Remove the student from play.", "2. Call the school nurse.", "3. Notify a guardian the same day."]
    assert "- Loss of consciousness" in sections["Recognition"].text.splitlines()
    assert "1 | Symptom-limited rest" in sections["Return to Play"].text.splitlines()
    assert [s.pages for s in parsed.sections] == [(1, 1), (2, 2), (3, 3)]


def test_a_word_file_without_page_information_is_cited_without_pages_rather_than_wrongly() -> None:
    parsed = parse_file("protocol.docx", made_files.word_protocol(page_breaks=False))
    assert parsed.pages == 1 and all(s.pages == (1, 1) for s in parsed.sections)  # one page, as Word declared


def test_a_pdf_with_bookmarks_gives_sections_pages_and_a_table_that_survives() -> None:
    parsed = parse_file("protocol.pdf", made_files.pdf_protocol())
    sections = _by_heading(parsed)
    assert (parsed.format, parsed.title, parsed.pages) == ("pdf", "Concussion Protocol", 4)
    assert list(sections) == ["Recognition", "Immediate Steps", "Return to Play", "Heat Illness"]
    assert [s.pages for s in parsed.sections] == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert sections["Immediate Steps"].text.splitlines()[0] == "1. Remove the student from play."
    assert "Stage | Activity" in sections["Return to Play"].text.splitlines()
    assert "2 | Light aerobic exercise" in sections["Return to Play"].text.splitlines()


def test_a_pdf_without_bookmarks_is_cut_at_its_larger_headings() -> None:
    parsed = parse_file("protocol.pdf", made_files.pdf_protocol(bookmarks=False))
    assert [s.heading for s in parsed.sections] == ["Recognition", "Immediate Steps", "Return to Play",
                                                    "Heat Illness"]
    assert parsed.sections[2].pages == (3, 3)


def test_chunks_keep_the_pages_their_text_came_from_and_long_sections_split_by_page() -> None:
    long_pages = [(f"Section {n}", "\n".join(f"Line {n}.{i} of the safety plan says to keep water nearby and rest "
                                             f"in shade during hot weather." for i in range(30))) for n in (1, 2)]
    pdf = made_files.pdf_of_sections("Heat Plan", long_pages)
    parsed = parse_file("heat.pdf", pdf)
    chunks = chunk_document(document_from_parsed(parsed, "heat-plan", META | {"title": "Heat Plan"}, "h"))
    assert len(chunks) > 2
    assert {(c.section, c.page_start) for c in chunks} >= {("Section 1", 1), ("Section 2", 2)}
    assert all(c.page_start is not None and c.page_end is not None and c.page_start <= c.page_end for c in chunks)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("locked.pdf", made_files.pdf_protocol(encrypted=True), "password-protected"),
        ("scan.pdf", made_files.pdf_image_only(), "no text layer: OCR is not supported"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage", "damaged"),
        ("broken.docx", made_files.word_protocol()[:500], "damaged or is not a Word document"),
        ("sneaky.docx", made_files.with_macros(made_files.word_protocol()), "macros"),
        ("macro.docm", made_files.word_protocol(), "macro-enabled"),
        ("sheet.xlsx", b"PK\x03\x04", "aren't supported"),
        ("empty.txt", b"", "the file is empty"),
        ("blank.md", b"\n\n  \n", "the file is empty"),
        ("big.pdf", b"%PDF" + b" " * (2 * 1024 * 1024), "the limit for PDF files is 1.0 MB"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason):
        parse_file(name, data, Limits(max_bytes=1024 * 1024))


def test_a_pdf_over_the_page_cap_is_refused() -> None:
    with pytest.raises(DocumentError, match="the PDF has 4 pages; the limit is 3"):
        parse_file("protocol.pdf", made_files.pdf_protocol(), Limits(max_pages=3))


async def test_parsing_runs_in_a_child_process_that_is_stopped_at_the_time_limit() -> None:
    parsed = await parse_isolated("protocol.pdf", made_files.pdf_protocol(), Limits(), 60)
    assert parsed.pages == 4 and parsed.sections[2].heading == "Return to Play"
    with pytest.raises(DocumentError, match=r"took longer than 0\.001 s"):
        await parse_isolated("protocol.pdf", made_files.pdf_protocol(), Limits(), 0.001)
    with pytest.raises(DocumentError, match="password-protected"):
        parse_isolated_sync("locked.pdf", made_files.pdf_protocol(encrypted=True), Limits(), 60)


def test_metadata_defaults_are_guessed_from_the_text() -> None:
    from datetime import date

    parsed = parse_file("Concussion Protocol.docx", made_files.word_protocol())
    values = guess(parsed, today=date(2026, 12, 5), reviewer="Megan Bowen")
    assert values == {"title": "Concussion Protocol", "kind": "safety", "audience": "all-staff",
                      "grade_band": "6-8", "version": "2.1", "reviewed_by": "Megan Bowen",
                      "reviewed_on": "2026-03-03"}


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_bundled_corpus_as_pdf_or_word_gives_the_same_sections_and_labelled_chunk_ids(fmt: str) -> None:
    import json
    from pathlib import Path

    from bench.documents import corpus_documents, render_docx, render_pdf, sections_of
    from knowledge import CORPUS_DIR

    render = render_pdf if fmt == "pdf" else render_docx
    labelled = {cid for q in json.loads((Path(__file__).parents[1] / "knowledge_data" / "retrieval_set.json")
                                        .read_text()) for cid in q["expect"]}
    ids: set[str] = set()
    for markdown in corpus_documents(CORPUS_DIR):
        parsed = parse_file(f"{markdown.slug}.{fmt}", render(markdown.title, sections_of(markdown)))
        assert parsed.title == markdown.title
        assert [s.heading for s in parsed.sections] == [s.heading for s in markdown.sections], markdown.slug
        fields = {"title": markdown.title, "kind": markdown.kind, "audience": markdown.audience,
                  "grade_band": markdown.grade_band, "version": markdown.version,
                  "reviewed_by": markdown.reviewed_by, "reviewed_on": markdown.reviewed_on.isoformat()}
        ids |= {c.id for c in chunk_document(document_from_parsed(parsed, markdown.slug, fields, "h"))}
    assert labelled <= ids


def test_plain_text_and_markdown_without_front_matter_are_read_into_sections() -> None:
    text = ("Field Trip Policy\n\nPermission\nEvery trip needs a signed form from a guardian.\n\n"
            "Supervision:\nOne adult for every ten students.\n- Count heads at every stop.\n")
    parsed = parse_file("trips.txt", text.encode())
    assert (parsed.format, parsed.title, parsed.pages) == ("text", "Field Trip Policy", None)
    assert [(s.heading, s.text.splitlines()[0]) for s in parsed.sections] == [
        ("Permission", "Every trip needs a signed form from a guardian."),
        ("Supervision", "One adult for every ten students.")]
    md = parse_file("trips.md", b"# Field Trips\n\nIntro line.\n\n## Permission\nSigned forms.\n")
    assert (md.title, [s.heading for s in md.sections], md.fields) == ("Field Trips", ["Overview", "Permission"], {})
