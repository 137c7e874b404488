"""The export files themselves, opened the way a user's software would: CSV parsed back, XLSX read with openpyxl
(another implementation than the XlsxWriter that wrote it), PDF text extracted with pypdf; every field checked
against the database or the widget the card shows. Real PostgreSQL with the demo district."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
from pypdf import PdfReader
from sqlalchemy import and_, func, select

from devtools.fakes.activities import ALEX, MEGAN
from domain.errors import DomainError
from domain.exports.tables import ExportTable, csv_bytes, safe_cell, xlsx_bytes
from domain.models import AuditLog, Enrollment, ExportFile, FitnessTest, Incident, SchoolClass, Student
from domain.widgets import WIDGET_NAMES, WidgetRequest, WidgetService
from tests.exports.conftest import NOW, confirmed


def rows_of_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def cell_text(value: Any) -> str:
    """An XLSX cell as the widget's text: numbers back to their figure, percentages back to "86.4%"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


async def fetch(exports: Any, ready: Any) -> bytes:
    found = await exports.open(ready.token)
    assert found is not None and found.file_name == ready.file_name
    return bytes(found.data)


async def test_a_widget_table_as_csv_has_every_row_of_the_widget_and_its_header(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex = await actor_of(ALEX)
    ready = await exports.widget(alex, WidgetRequest("attendance", "period 3", None, None, None, NOW.date()), "csv",
                                 now=NOW)
    shown = await WidgetService(demo_sessions).run(alex, "attendance", now=NOW, class_text="period 3",
                                                   full_tables=True)
    assert shown.table is not None
    rows = rows_of_csv(await fetch(exports, ready))
    assert rows[0] == list(shown.table.columns)
    assert rows[1:] == [list(r) for r in shown.table.rows]
    assert ready.media_type == "text/csv" and ready.file_name.endswith(".csv") and ready.rows == len(rows) - 1


async def test_a_widget_table_as_xlsx_reads_back_with_numbers_and_an_about_sheet(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    megan = await actor_of(MEGAN)
    ready = await confirmed(exports.widget, megan, WidgetRequest("attendance", None, None, None, None, NOW.date()),
                            "xlsx", now=NOW)
    shown = await WidgetService(demo_sessions).run(megan, "attendance", now=NOW, full_tables=True)
    assert shown.table is not None
    book = openpyxl.load_workbook(io.BytesIO(await fetch(exports, ready)))
    data, about = book.worksheets
    values = [list(r) for r in data.iter_rows(values_only=True)]
    assert values[0] == list(shown.table.columns)
    rate_col = shown.table.columns.index("Rate")
    assert all(isinstance(r[rate_col], float) and 0 <= r[rate_col] <= 1 for r in values[1:])  # real percentages
    assert data.cell(row=2, column=rate_col + 1).number_format == "0.0%"
    as_text = [[cell_text(v) if i != rate_col else f"{100 * v:.1f}%" for i, v in enumerate(r)] for r in values[1:]]
    assert as_text == [list(r) for r in shown.table.rows]
    facts = {r[0]: r[1] for r in about.iter_rows(values_only=True)}
    assert facts["Audit reference"] == ready.audit_ref and facts["Generated for"] == "Megan Bowen"
    assert facts["Scope"] == shown.scope


async def test_an_export_has_every_row_where_the_card_shows_ten(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    megan = await actor_of(MEGAN)
    widgets = WidgetService(demo_sessions)
    longer = []
    for name in WIDGET_NAMES:
        try:
            card = await widgets.run(megan, name, now=NOW)
        except DomainError:  # a widget that needs one class is asked for none here: not this test's subject
            continue
        if card.table is None:
            continue
        ready = await confirmed(exports.widget, megan, WidgetRequest(name, None, None, None, None, NOW.date()), "csv",
                                now=NOW)
        rows = rows_of_csv(await fetch(exports, ready))[1:]
        assert rows[: len(card.table.rows)] == [list(r) for r in card.table.rows], name
        if card.table.truncated:
            assert len(rows) == card.table.total_rows, name
            longer.append(name)
    assert longer, "the demo district has at least one widget whose card trims its table"


async def test_a_widget_card_as_pdf_carries_its_figures_chart_values_rows_and_audit_reference(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex = await actor_of(ALEX)
    ready = await exports.widget(alex, WidgetRequest("attendance", "period 3", None, None, None, NOW.date()), "pdf",
                                 now=NOW)
    shown = await WidgetService(demo_sessions).run(alex, "attendance", now=NOW, class_text="period 3")
    pages, text = pdf_text(await fetch(exports, ready))
    flat = " ".join(text.split())
    assert pages >= 1 and ready.media_type == "application/pdf"
    assert "Attendance" in flat and shown.scope in flat and shown.period is not None
    assert shown.period.label() in flat
    for metric in shown.metrics:
        assert metric.value in flat and metric.label in flat
    assert shown.chart is not None
    for label, value in zip(shown.chart.labels, shown.chart.series[0].values, strict=True):
        assert label in flat and (f"{value:.1f}" in flat or f"{value:.0f}" in flat)
    assert shown.table is not None
    for row in shown.table.rows:
        assert " ".join(row) in flat
    assert f"Audit reference {ready.audit_ref}" in flat and "Alex Wilber" in flat


async def test_the_incident_report_is_one_page_with_the_districts_fields_signatures_and_the_audit_reference(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    megan = await actor_of(MEGAN)
    async with demo_sessions() as s:
        incident, student, class_name = (await s.execute(
            select(Incident, Student, SchoolClass.name).join(Student, Student.id == Incident.student_id)
            .join(SchoolClass, SchoolClass.id == Incident.class_id)
            .where(Incident.school_id == megan.school_id).order_by(Incident.id).limit(1))).one()
    ready = await exports.incident_report(megan, incident.id, now=NOW)
    pages, text = pdf_text(await fetch(exports, ready))
    flat = " ".join(text.split())
    assert pages == 1
    assert f"Student Incident Report #{incident.id}" in flat
    for field, value in (("Student", student.display_name), ("Student number", student.student_number),
                         ("Class", class_name), ("Location", incident.location), ("Activity", incident.activity),
                         ("Severity", incident.severity.value.capitalize()),
                         ("Status", incident.status.replace("_", " ").capitalize())):
        assert f"{field} {value}" in flat, field
    assert " ".join(incident.description.split())[:80] in flat
    for role in ("Reporting staff member", "School nurse", "Administrator", "Parent / guardian"):
        assert role in flat
    async with demo_sessions() as s:
        audit_id = await s.scalar(select(AuditLog.id).where(AuditLog.action == "export.create",
                                                           AuditLog.subject_id == ready.export_id))
        student_read = await s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "student.read", AuditLog.subject_id == student.id,
            AuditLog.via == "export:incident_report"))
    assert ready.audit_ref == f"A-{audit_id}" and f"Audit reference A-{audit_id}" in flat
    assert student_read == 1


async def test_a_long_incident_description_still_fits_one_page(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    megan = await actor_of(MEGAN)
    async with demo_sessions() as s, s.begin():
        incident = (await s.execute(select(Incident).where(Incident.school_id == megan.school_id,
                                                           Incident.student_id.is_not(None)).limit(1))).scalar_one()
        incident.description = "The student slipped near the bleachers and reported pain. " * 60
        incident.action_taken = "Ice applied, parent called, nurse assessed. " * 30
        incident_id = incident.id
    pages, text = pdf_text(await fetch(exports, await exports.incident_report(megan, incident_id, now=NOW)))
    assert pages == 1 and "(see record)" in text and "Signatures" in text


async def test_a_classs_fitness_results_for_the_state_report_list_every_result_of_its_students(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex = await actor_of(ALEX)
    ready = await exports.fitness_results(alex, "period 3", now=NOW)
    rows = rows_of_csv(await fetch(exports, ready))
    header, body = rows[0], rows[1:]
    assert header == ["Student number", "Last name", "First name", "Grade", "Sex", "Age at test", "Test date", "Test",
                      "Result", "Unit", "Healthy Fitness Zone", "Standard"]  # no date of birth for a teacher
    async with demo_sessions() as s:
        class_id = await s.scalar(select(SchoolClass.id).where(SchoolClass.teacher_id == alex.staff_id,
                                                               SchoolClass.period == "3"))
        expected = await s.scalar(
            select(func.count()).select_from(FitnessTest)
            .join(Enrollment, and_(Enrollment.student_id == FitnessTest.student_id, Enrollment.class_id == class_id))
            .join(Student, Student.id == FitnessTest.student_id)
            .where(Student.active.is_(True), FitnessTest.tested_on <= NOW.date()))
        numbers = set((await s.execute(select(Student.student_number).join(
            Enrollment, Enrollment.student_id == Student.id).where(Enrollment.class_id == class_id))).scalars())
        reads = await s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "student.read", AuditLog.via == "export:fitness_results"))
    assert len(body) == expected and expected > 0
    assert {r[0] for r in body} <= numbers
    assert {r[10] for r in body} <= {"Healthy Fitness Zone", "Needs Improvement", "no standard"}
    assert all(r[3] == "7" and r[4] in ("F", "M", "X") for r in body)
    assert reads == ready.student_count == len({r[0] for r in body})


async def test_nurses_and_admins_get_the_date_of_birth_column_teachers_do_not(exports, actor_of) -> None:  # type: ignore[no-untyped-def]
    megan = await actor_of(MEGAN)
    ready = await exports.fitness_results(megan, "PE 7 — Period 3", now=NOW, fmt="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(await fetch(exports, ready)))
    header = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
    assert header[-1] == "Date of birth"


async def test_every_export_and_every_download_is_audited_with_who_and_how_many_students(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex = await actor_of(ALEX)
    ready = await exports.fitness_results(alex, "period 3", now=NOW)
    await exports.open(ready.token)
    await exports.open(ready.token)
    async with demo_sessions() as s:
        rows = (await s.execute(select(AuditLog).where(AuditLog.subject_type == "export_file",
                                                       AuditLog.subject_id == ready.export_id)
                                .order_by(AuditLog.id))).scalars().all()
        stored = (await s.execute(select(ExportFile).where(ExportFile.id == ready.export_id))).scalar_one()
    assert [r.action for r in rows] == ["export.create", "export.download", "export.download"]
    assert all(r.actor_staff_id == alex.staff_id for r in rows)
    assert f"{ready.student_count} students" in (rows[0].reason or "") and "fitness" in rows[0].via
    assert stored.audit_id == rows[0].id and stored.student_count == ready.student_count


def test_spreadsheet_formulas_in_data_are_written_as_text() -> None:
    table = ExportTable("t", ("Name", "Note"), (("=HYPERLINK(\"http://x\")", "-3"), ("@SUM(A1)", "+1 lap")))
    rows = rows_of_csv(csv_bytes(table))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "-3"] and rows[2] == ["'@SUM(A1)", "'+1 lap"]
    assert safe_cell("-12.5") == "-12.5"
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(table))).worksheets[0]
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "=HYPERLINK(\"http://x\")"
    assert sheet["B2"].value == -3
