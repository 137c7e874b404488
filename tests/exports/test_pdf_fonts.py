"""PDF fonts: documents are drawn with the compact cut of DejaVu Sans (domain/exports/fonts.py) and again with the
full font when their text needs a character the cut lacks; either way every name reads back as written (pypdf)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from domain.exports import fonts
from domain.exports.incident_report import IncidentRecord, incident_pdf
from domain.exports.pdf_base import FONT_DIR, FONT_FILES, Page, Provenance, render

pytestmark = pytest.mark.skipif(FONT_DIR is None, reason="DejaVu Sans is not installed (the image installs it)")

WHEN = datetime(2026, 11, 20, 10, 5, tzinfo=ZoneInfo("America/Chicago"))
PROVENANCE = Provenance("Test Teacher", WHEN, "A-7")


def text_of(data: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


def embedded_font_bytes(data: bytes) -> int:
    reader = PdfReader(io.BytesIO(data))
    total = 0
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        total += len(descendant["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data())
    return total


def draw(name: str) -> tuple[bytes, list[bool]]:
    used: list[bool] = []

    def lay_out(compact: bool) -> Page:
        used.append(compact)
        page = Page("Roster", PROVENANCE, compact=compact)
        page.add_page()
        page.line_of(f"Student: {name}", size=12, bold=True)
        page.line_of(f"Note about {name} — 3 laps", size=10)
        return page

    return render(lay_out), used


@pytest.mark.parametrize("name", ["Nguyễn Thị Ánh", "Łukasz Žák", "Σοφία Παππά", "Дарья Козлова", "Zoë O'Brien"])
def test_names_in_latin_greek_and_cyrillic_are_drawn_once_with_the_compact_font(name: str) -> None:
    data, used = draw(name)
    assert used == [True]
    assert f"Student: {name}" in text_of(data)


@pytest.mark.parametrize("name", ["გიორგი ბერიძე", "Արամ Պետրոսյան"])
def test_a_name_the_compact_font_lacks_is_drawn_again_with_the_full_font(name: str) -> None:
    data, used = draw(name)
    assert used == [True, False]
    assert name.split()[0] in text_of(data)


def test_the_compact_font_makes_smaller_files_than_the_full_one() -> None:
    compact, _ = draw("Zoë O'Brien")
    full = render(lambda _compact: _one_page(compact=False))
    assert embedded_font_bytes(compact) < embedded_font_bytes(full)


def _one_page(*, compact: bool) -> Page:
    page = Page("Roster", PROVENANCE, compact=compact)
    page.add_page()
    page.line_of("Student: Zoë O'Brien", size=12, bold=True)
    page.line_of("Note about Zoë O'Brien — 3 laps", size=10)
    return page


def test_an_incident_report_about_a_student_named_in_georgian_prints_the_name(tmp_path: Path) -> None:
    record = IncidentRecord(
        id=41, district="Test District", school="Test Middle School", time_zone="America/Chicago",
        occurred_at=WHEN, created_at=WHEN, location="Gym", activity="Basketball", incident_type="Injury",
        severity="Minor", status="Open", student_id=9, student_name="ნინო ტესტი", student_number="T-0009",
        student_grade="7", class_name="PE 7 — Period 3", reporter="Test Teacher",
        texts={"description": "Rolled an ankle during a layup drill."}, admin_notice="Not required")
    text = text_of(incident_pdf(record, PROVENANCE))
    assert "ნინო ტესტი" in text and "Rolled an ankle during a layup drill." in text


def test_when_the_compact_font_cannot_be_made_the_full_font_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the font folder would go")
    monkeypatch.setattr(fonts.tempfile, "gettempdir", lambda: str(blocker))
    assert FONT_DIR is not None
    assert fonts._load_or_make(FONT_DIR, FONT_FILES) is None
    monkeypatch.setattr(fonts, "_made", {FONT_DIR: None})
    page = Page("Roster", PROVENANCE)
    page.add_page()
    page.line_of("გიორგი")
    assert not page.uncovered and "გიორგი" in text_of(bytes(page.output()))
