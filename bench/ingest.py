"""Document ingest throughput (pages/s) by format, against the markdown path on the same text (the peer), same run.

    python -m bench.ingest [--pdf-pages 200] [--docx-pages 100] [--repeats 3]

Text: the bundled corpus's sections, repeated until the PDF renders to ``--pdf-pages`` pages (fpdf2, Helvetica 11,
A4); the Word file holds the same number of words per page with an explicit page break every page's worth of
sections, and the markdown peer holds exactly the same sections. Timed, per format: reading the file (``parse_file``,
in this process and in the isolated child process production uses) and chunking (``chunk_document``). Embedding is
left out: it costs the same for the same text whatever the format (MiniLM: ~36 chunks/s on 2 cores, see the
architecture notes), so it would only hide the difference. Each figure is the median over repeats; formats alternate
within a repeat so that other load on the machine hits all alike.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.documents import corpus_documents, render_docx, render_pdf
from knowledge import CORPUS_DIR
from knowledge.chunking import chunk_document
from knowledge.documents import document_from_parsed
from knowledge.parsers import Limits, parse_file
from knowledge.parsers.isolated import parse_isolated_sync

META = {"title": "Bench Handbook", "kind": "policy", "audience": "all-staff", "grade_band": "K-12",
        "version": "1.0", "reviewed_by": "bench", "reviewed_on": "2026-12-01"}


def corpus_sections() -> list[tuple[str, str]]:
    return [(f"{d.title} {s.heading}", s.text) for d in corpus_documents(CORPUS_DIR) for s in d.sections]


def sections_for_pages(pages: int) -> tuple[list[tuple[str, str]], bytes, int]:
    """Enough corpus sections (repeated, renamed) to fill ``pages`` PDF pages; returns them, the PDF and its pages."""
    base = corpus_sections()
    sections: list[tuple[str, str]] = []
    pdf, got = b"", 0
    while got < pages:
        n = len(sections)
        sections += [(f"{h} ({n + i})", t) for i, (h, t) in enumerate(base)]
        pdf = render_pdf("Bench Handbook", sections, new_page_per_section=False)
        got = _pages(pdf)
    while got > pages and len(sections) > 1:  # trim to the requested page count
        sections = sections[: max(1, int(len(sections) * pages / got))]
        pdf = render_pdf("Bench Handbook", sections, new_page_per_section=False)
        got = _pages(pdf)
    return sections, pdf, got


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def markdown_of(sections: list[tuple[str, str]]) -> bytes:
    body = "".join(f"## {h}\n{t}\n\n" for h, t in sections)
    return ("---\n" + "".join(f"{k}: {v}\n" for k, v in META.items()) + "---\n# Bench Handbook\n\n" + body).encode()


def _time(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _read_and_chunk(name: str, data: bytes, *, isolated: bool) -> int:
    limits = Limits(max_bytes=1 << 30, max_text_bytes=1 << 30, max_pages=100_000)
    parsed = parse_isolated_sync(name, data, limits, 600) if isolated else parse_file(name, data, limits)
    return len(chunk_document(document_from_parsed(parsed, "bench-handbook", META, "h")))


def run(label: str, pages: int, data: bytes, name: str, markdown: bytes, repeats: int) -> list[str]:
    times: dict[str, list[float]] = {k: [] for k in ("file", "file isolated", "markdown", "markdown isolated")}
    for _ in range(repeats):
        times["file"].append(_time(lambda: _read_and_chunk(name, data, isolated=False)))
        times["markdown"].append(_time(lambda: _read_and_chunk("bench.md", markdown, isolated=False)))
        times["file isolated"].append(_time(lambda: _read_and_chunk(name, data, isolated=True)))
        times["markdown isolated"].append(_time(lambda: _read_and_chunk("bench.md", markdown, isolated=True)))
    med = {k: statistics.median(v) for k, v in times.items()}
    chunks = _read_and_chunk(name, data, isolated=False), _read_and_chunk("bench.md", markdown, isolated=False)
    return [
        f"{label:5} {pages:4} pages, {len(data) / 1e6:5.2f} MB, {chunks[0]} chunks (markdown {chunks[1]})",
        f"      in process: {pages / med['file']:8.1f} pages/s  markdown peer {pages / med['markdown']:8.1f} pages/s"
        f"  ratio {med['markdown'] / med['file']:.3f}",
        f"      isolated:   {pages / med['file isolated']:8.1f} pages/s  markdown peer "
        f"{pages / med['markdown isolated']:8.1f} pages/s  ratio {med['markdown isolated'] / med['file isolated']:.3f}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--pdf-pages", type=int, default=200)
    parser.add_argument("--docx-pages", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    lines = []
    sections, pdf, pages = sections_for_pages(args.pdf_pages)
    lines += run("PDF", pages, pdf, "bench.pdf", markdown_of(sections), args.repeats)
    sections, _, pages = sections_for_pages(args.docx_pages)
    per_page = max(1, round(len(sections) / pages))
    docx = render_docx("Bench Handbook", sections, page_break_every=per_page)
    pages = parse_file("bench.docx", docx, Limits(max_bytes=1 << 30, max_pages=100_000)).pages or pages
    lines += run("DOCX", pages, docx, "bench.docx", markdown_of(sections), args.repeats)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
