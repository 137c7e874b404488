"""The bundled markdown corpus rendered as districts' files: one PDF (fpdf2, a bookmark per section, each section
from a new page) and one Word file (python-docx, Heading 1 per section, list items as List Bullet / List Number)
per document, keeping each document's file name. Used by ``bench.formats`` (recall@5 per format), ``bench.ingest``
(pages/s) and the tests. Needs the dev requirements (fpdf2)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from knowledge.documents import Document, corpus_files, load_document

_LATIN1 = {"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "≥": ">=", "≤": "<=",
           "°": " deg", "×": "x", "•": "-", "→": "->", "½": "1/2", "¼": "1/4", "±": "+/-"}
_NUMBERED = re.compile(r"^\d+[.)]\s+")


def latin1(text: str) -> str:
    """The PDF core fonts are Latin-1: typographic punctuation mapped, anything else dropped; markdown emphasis off."""
    text = text.replace("**", "").replace("__", "")
    return "".join(_LATIN1.get(c, c) for c in text).encode("latin-1", "ignore").decode("latin-1")


def sections_of(document: Document) -> list[tuple[str, str]]:
    return [(s.heading, s.text) for s in document.sections]


def render_pdf(title: str, sections: list[tuple[str, str]], *, new_page_per_section: bool = True) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(latin1(title))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    for i, (heading, text) in enumerate(sections):
        if new_page_per_section and i > 0:
            pdf.add_page()
        pdf.start_section(latin1(heading), level=0)
        pdf.set_font("Helvetica", "B", 15)
        pdf.multi_cell(0, 9, latin1(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for line in text.splitlines():
            if line.strip():
                pdf.multi_cell(0, 6, latin1(line.strip()), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_docx(title: str, sections: list[tuple[str, str]], *, page_break_every: int = 0) -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = title
    for i, (heading, text) in enumerate(sections):
        if page_break_every and i and i % page_break_every == 0:
            d.add_page_break()
        d.add_heading(heading, 1)
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith(("- ", "* ")):
                d.add_paragraph(stripped[2:].replace("**", ""), style="List Bullet")
            elif _NUMBERED.match(stripped):
                d.add_paragraph(_NUMBERED.sub("", stripped).replace("**", ""), style="List Number")
            elif stripped:
                d.add_paragraph(stripped.replace("**", ""))
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def corpus_documents(root: Path) -> list[Document]:
    return [load_document(p) for p in corpus_files(root) if p.suffix == ".md"]


def render_corpus(root: Path, out: Path, fmt: str) -> list[Path]:
    """Every markdown document under ``root`` written to ``out`` as ``<slug>.pdf`` or ``<slug>.docx``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for document in corpus_documents(root):
        sections = sections_of(document)
        data = render_pdf(document.title, sections) if fmt == "pdf" else render_docx(document.title, sections)
        path = out / f"{document.slug}.{fmt}"
        path.write_bytes(data)
        written.append(path)
    return written
