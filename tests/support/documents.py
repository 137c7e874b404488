"""Real files written by real writers for the document tests: Word with python-docx, PDF with fpdf2 (Protocol with
bookmarks and a table, encrypted, image-only, macro-carrying)."""

from __future__ import annotations

import io
import zipfile

import docx
from fpdf import FPDF


def word_protocol(*, page_breaks: bool = True) -> bytes:
    """Heading styles, a numbered list, a bulleted list, a table, explicit page breaks (pages 1–3)."""
    d = docx.Document()
    d.core_properties.title = "Concussion Protocol"
    d.add_heading("Concussion Protocol", 0)
    d.add_heading("Recognition", 1)
    d.add_paragraph("Watch for headache, dizziness and confusion after any blow to the head during grades 6-8 PE.")
    d.add_paragraph("Loss of consciousness", style="List Bullet")
    if page_breaks:
        d.add_page_break()
    d.add_heading("Immediate Steps", 1)
    for step in ("Remove the student from play.", "Call the school nurse.", "Notify a guardian the same day."):
        d.add_paragraph(step, style="List Number")
    if page_breaks:
        d.add_page_break()
    d.add_heading("Return to Play", 2)
    d.add_paragraph("Reviewed on March 3, 2026. Version 2.1.")
    table = d.add_table(rows=3, cols=2)
    for i, (stage, activity) in enumerate([("Stage", "Activity"), ("1", "Symptom-limited rest"),
                                           ("2", "Light aerobic exercise")]):
        table.cell(i, 0).text, table.cell(i, 1).text = stage, activity
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def with_macros(data: bytes) -> bytes:
    """The same package with a VBA project inside (what a .docm renamed to .docx carries)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("word/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def _pdf() -> FPDF:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    return pdf


def _heading(pdf: FPDF, text: str, level: int, size: int, *, bookmark: bool) -> None:
    if bookmark:
        pdf.start_section(text, level=level)
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)


def _para(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")


# The user password of the encrypted test PDF: a fixture value, not a credential anywhere.
TEST_ONLY_PDF_KEY = "fixture-only-not-a-secret"


def pdf_protocol(*, bookmarks: bool = True, encrypted: bool = False) -> bytes:
    """Four pages: title + Recognition (p. 1), Immediate Steps (p. 2), Return to Play with a table (p. 3), and
    Heat Illness (p. 4)."""
    pdf = _pdf()
    pdf.set_title("Concussion Protocol")
    pdf.add_page()
    _heading(pdf, "Concussion Protocol", 0, 20, bookmark=bookmarks)
    _heading(pdf, "Recognition", 1, 15, bookmark=bookmarks)
    _para(pdf, "Watch for headache, dizziness and confusion after any blow to the head.")
    pdf.add_page()
    _heading(pdf, "Immediate Steps", 1, 15, bookmark=bookmarks)
    for i, step in enumerate(("Remove the student from play.", "Call the school nurse.",
                              "Notify a guardian the same day."), start=1):
        _para(pdf, f"{i}. {step}")
    pdf.add_page()
    _heading(pdf, "Return to Play", 1, 15, bookmark=bookmarks)
    _para(pdf, "A student returns only after every stage below, one stage per day, with written clearance.")
    with pdf.table() as table:
        for cells in (("Stage", "Activity"), ("1", "Symptom-limited rest"), ("2", "Light aerobic exercise")):
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.add_page()
    _heading(pdf, "Heat Illness", 1, 15, bookmark=bookmarks)
    _para(pdf, "Move the student to shade, cool with cold water immersion, and call 911 for confusion.")
    if encrypted:  # a user password: the text layer can't be read without it
        pdf.set_encryption(owner_password=f"owner-{TEST_ONLY_PDF_KEY}", user_password=TEST_ONLY_PDF_KEY)
    return bytes(pdf.output())


def pdf_image_only() -> bytes:
    """A 'scan': pages with a picture and no text layer."""
    from PIL import Image

    picture = io.BytesIO()
    Image.new("L", (200, 100), color=180).save(picture, format="PNG")
    pdf = _pdf()
    for _ in range(2):
        pdf.add_page()
        pdf.image(io.BytesIO(picture.getvalue()), x=10, y=10, w=180)
    return bytes(pdf.output())


def pdf_of_sections(title: str, sections: list[tuple[str, str]]) -> bytes:
    """A document rendered to PDF, one bookmark per section, each section starting a new page."""
    pdf = _pdf()
    pdf.set_title(title)
    for heading, text in sections:
        pdf.add_page()
        _heading(pdf, heading, 0, 15, bookmark=True)
        for line in text.splitlines():
            _para(pdf, _latin1(line) or " ")
    return bytes(pdf.output())


def docx_of_sections(title: str, sections: list[tuple[str, str]]) -> bytes:
    d = docx.Document()
    d.core_properties.title = title
    for heading, text in sections:
        d.add_heading(heading, 1)
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith(("- ", "* ")):
                d.add_paragraph(stripped[2:], style="List Bullet")
            elif stripped:
                d.add_paragraph(stripped)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _latin1(text: str) -> str:
    """The core PDF fonts are Latin-1: typographic punctuation mapped, anything else dropped."""
    table = {"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "≥": ">=", "≤": "<=",
             "°": " deg", "×": "x", "•": "-", "→": "->"}
    return "".join(table.get(c, c) for c in text).encode("latin-1", "ignore").decode("latin-1")
