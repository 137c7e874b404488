"""PDF fonts: documents are drawn with the compact cut of DejaVu Sans (domain/exports/fonts.py) and again with the
full font when their text needs a character the cut lacks; either way every name reads back as written (pypdf)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from domain.exports import fonts
from domain.exports.incident_report import IncidentRecord, incident_pdf
from domain.exports.pdf_base import FONT_DIR, FONT_FILES, Page, Provenance, render
from domain.exports.pdf_widget import widget_pdf
from domain.widgets import Metric, Period, TableData, WidgetResult

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


# Right-to-left names: text shaping (uharfbuzz) on the full-font drawing. pypdf reads a line back in logical order
# only when the PDF draws the right-to-left run in visual order (unshaped, it reads back reversed), and an Arabic
# letter joined to its neighbours is drawn with a contextual glyph: meem (U+0645) at the start of محمد is the
# initial form and inside it the medial one, so two glyphs of each of the page's fonts map back to U+0645 (one
# unshaped).
ARABIC, HEBREW = "محمد العلي", "נועה כהן"


def glyphs_for(data: bytes, code_point: int) -> set[int]:
    """How many glyphs of each of the page's fonts (regular, bold) that draw ``code_point`` map back to it (their
    ToUnicode CMaps)."""
    wanted, counts = f"{code_point:04X}", set()
    for font in PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"].values():
        cmap = font.get_object()["/ToUnicode"].get_object().get_data().decode()
        counts.add(sum(1 for _, unicode in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", cmap)
                       if unicode.upper() == wanted))
    return counts - {0}


def _record(name: str) -> IncidentRecord:
    return IncidentRecord(
        id=42, district="Test District", school="Test Middle School", time_zone="America/Chicago",
        occurred_at=WHEN, created_at=WHEN, location="Gym", activity="Basketball", incident_type="Injury",
        severity="Minor", status="Open", student_id=9, student_name=name, student_number="T-0042",
        student_grade="7", class_name="PE 7 — Period 3", reporter="Test Teacher",
        texts={"description": f"{name} rolled an ankle during a layup drill."}, admin_notice="Not required")


def test_an_arabic_name_in_the_incident_report_is_joined_and_reads_in_its_own_order() -> None:
    data = incident_pdf(_record(ARABIC), PROVENANCE)
    text = text_of(data)
    assert ARABIC in text and ARABIC[::-1] not in text
    assert "rolled an ankle during a layup drill." in text and "Test Middle School" in text
    assert glyphs_for(data, 0x0645) == {2}  # initial and medial meem in each font: the letters are joined


def test_a_hebrew_name_in_a_widget_pdf_table_reads_in_its_own_order() -> None:
    result = WidgetResult(
        widget="attendance", title="Attendance", scope="PE 7 — Period 3",
        period=Period(date(2026, 10, 22), date(2026, 11, 20), 30), metrics=(Metric("Attendance rate", "96.4%", 96.4),),
        table=TableData(("Student", "Rate"), ((HEBREW, "86.4%"), (ARABIC, "88.0%"), ("Jamie Chen", "91.0%")), "At risk"),
        chart=None, student_names=(HEBREW, ARABIC, "Jamie Chen"))
    data = widget_pdf(result, PROVENANCE)
    text = text_of(data)
    assert HEBREW in text and HEBREW[::-1] not in text and ARABIC in text and "Jamie Chen" in text
    assert glyphs_for(data, 0x0645) == {2}


def test_without_shaping_the_same_name_would_read_back_reversed_and_unjoined(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: with shaping off the name reads back reversed and meem has a single glyph."""
    monkeypatch.setattr(Page, "_shape", lambda self: None)
    data = incident_pdf(_record(ARABIC), PROVENANCE)
    assert ARABIC[::-1] in text_of(data) and glyphs_for(data, 0x0645) == {1}
