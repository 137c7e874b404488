"""The one-page incident report: the district's fields from the incident record, lines for signatures, and the audit
reference of the export (the ``export.create`` audit row), so a printed copy can be traced to who made it and when.

Who may have one: whoever may read the incident's student (``student_visible``: their teacher, the school's nurse
and admins); an incident with no student, its reporter or the school's nurse and admins. Anyone else is refused and
the attempt audited, as for every student record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.actor import Actor
from domain.authorization import student_visible
from domain.exports.pdf_base import SUBTLE, Page, Provenance, render
from domain.models import Alert, District, Incident, School, SchoolClass, Staff, Student

# The district's incident-report fields, in the order of its paper form. Long texts get at most these many lines,
# so the report stays on one page (the full text stays in the record; the report says so when it is cut).
TEXT_FIELDS = (("Description of what happened", "description", 9), ("Injuries observed", "injuries", 4),
               ("Action taken / first aid given", "action_taken", 5), ("Witnesses", "witnesses", 2),
               ("Follow-up", "follow_up", 3))
SIGNATURES = ("Reporting staff member", "School nurse", "Administrator", "Parent / guardian (copy received)")
STUDENT_GRADE = {0: "K", -1: "Pre-K", 13: "Ungraded"}


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    id: int
    district: str
    school: str
    time_zone: str
    occurred_at: datetime
    created_at: datetime
    location: str
    activity: str
    incident_type: str
    severity: str
    status: str
    student_id: int | None
    student_name: str
    student_number: str
    student_grade: str
    class_name: str
    reporter: str
    texts: dict[str, str]
    admin_notice: str


async def load_incident(session: AsyncSession, actor: Actor, incident_id: int) -> IncidentRecord | None:
    """The incident if the actor may read it; None when there is none they may read (the caller audits that)."""
    reporter, acknowledger = aliased(Staff), aliased(Staff)
    own_or_school = true() if actor.is_school_wide else Incident.reporter_id == actor.staff_id
    may_read = or_(
        and_(Incident.student_id.is_not(None), student_visible(actor)),
        and_(Incident.student_id.is_(None), Incident.school_id == actor.school_id, own_or_school),
    )
    row = (await session.execute(
        select(Incident, School.name, School.time_zone, District.name, Student, SchoolClass.name,
               reporter.display_name, Alert.id, Alert.acknowledged_at, acknowledger.display_name)
        .join(School, School.id == Incident.school_id)
        .join(District, District.id == School.district_id)
        .outerjoin(Student, Student.id == Incident.student_id)
        .outerjoin(SchoolClass, SchoolClass.id == Incident.class_id)
        .outerjoin(reporter, reporter.id == Incident.reporter_id)
        .outerjoin(Alert, Alert.incident_id == Incident.id)
        .outerjoin(acknowledger, acknowledger.id == Alert.acknowledged_by)
        .where(Incident.id == incident_id, may_read)
    )).first()
    if row is None:
        return None
    incident, school, tz, district, student, class_name, reporter_name, alert_id, acked_at, acked_by = list(row)
    zone = ZoneInfo(tz or actor.time_zone)
    if alert_id is None:
        notice = "No alert on record"
    elif acked_at is None:
        notice = "Administrators alerted; not yet acknowledged"
    else:
        notice = f"Acknowledged by {acked_by or 'an administrator'}, {acked_at.astimezone(zone):%b %-d, %Y %H:%M}"
    return IncidentRecord(
        id=incident.id, district=district, school=school, time_zone=str(zone),
        occurred_at=incident.occurred_at.astimezone(zone), created_at=incident.created_at.astimezone(zone),
        location=incident.location, activity=incident.activity,
        incident_type=incident.incident_type.replace("_", " ").capitalize(),
        severity=incident.severity.value.capitalize(), status=incident.status.replace("_", " ").capitalize(),
        student_id=student.id if student else None,
        student_name=student.display_name if student else "No student involved",
        student_number=student.student_number if student else "—",
        student_grade=STUDENT_GRADE.get(student.grade, str(student.grade)) if student else "—",
        class_name=class_name or "—", reporter=reporter_name or "—",
        texts={field: (getattr(incident, field) or "").strip() for _, field, _ in TEXT_FIELDS},
        admin_notice=notice,
    )


async def incident_exists(session: AsyncSession, incident_id: int) -> bool:
    return await session.scalar(select(Incident.id).where(Incident.id == incident_id)) is not None


def incident_pdf(record: IncidentRecord, provenance: Provenance) -> bytes:
    return render(lambda compact: _draw(record, provenance, compact))


def _draw(record: IncidentRecord, provenance: Provenance, compact: bool) -> Page:
    page = Page(f"Incident report #{record.id}", provenance, compact=compact)
    page.alias_nb_pages()
    page.set_auto_page_break(auto=False)  # one page: long texts are cut to their line budget instead
    page.add_page()
    page.line_of(f"{record.district} · {record.school}", size=9, colour=SUBTLE)
    page.line_of(f"Student Incident Report  #{record.id}", size=17, bold=True)
    page.rule(6)
    grid = (
        ("Date", f"{record.occurred_at:%A, %B %-d, %Y}"), ("Time", f"{record.occurred_at:%H:%M} ({record.time_zone})"),
        ("Student", record.student_name), ("Student number", record.student_number),
        ("Grade", record.student_grade), ("Class", record.class_name),
        ("Location", record.location), ("Activity", record.activity),
        ("Type", record.incident_type), ("Severity", record.severity),
        ("Reported by", record.reporter), ("Reported at", f"{record.created_at:%b %-d, %Y %H:%M}"),
        ("Status", record.status), ("Administrator notified", record.admin_notice),
    )
    _grid(page, grid)
    page.rule(6)
    width = page.w - page.l_margin - page.r_margin
    for label, field, max_lines in TEXT_FIELDS:
        page.style(9, bold=True)
        page.cell(0, 12, label, new_x="LMARGIN", new_y="NEXT")
        page.style(9)
        text = record.texts.get(field) or "—"
        for line in page.fitted_lines(text, width, max_lines):
            page.cell(0, 11.5, line, new_x="LMARGIN", new_y="NEXT")
        page.ln(3)
    page.rule(6)
    _signatures(page)
    return page


def _grid(page: Page, pairs: tuple[tuple[str, str], ...]) -> None:
    half = (page.w - page.l_margin - page.r_margin) / 2
    for i in range(0, len(pairs), 2):
        top = page.get_y()
        for j, (label, value) in enumerate(pairs[i:i + 2]):
            page.set_xy(page.l_margin + j * half, top)
            page.style(8, colour=SUBTLE)
            page.cell(92, 13, label)
            page.style(9.5, bold=True)
            page.cell(half - 96, 13, page.clean(_fit(page, value, half - 96)))
        page.set_xy(page.l_margin, top + 14)


def _signatures(page: Page) -> None:
    half = (page.w - page.l_margin - page.r_margin) / 2
    page.style(9, bold=True)
    page.cell(0, 14, "Signatures (sign and print name)", new_x="LMARGIN", new_y="NEXT")
    page.set_draw_color(90, 90, 90)
    for i in range(0, len(SIGNATURES), 2):
        top = page.get_y() + 24
        for j, role in enumerate(SIGNATURES[i:i + 2]):
            x = page.l_margin + j * half
            page.line(x, top, x + half * 0.62, top)
            page.line(x + half * 0.66, top, x + half - 12, top)
            page.set_xy(x, top + 2)
            page.style(7.5, colour=SUBTLE)
            page.cell(half * 0.62, 9, page.clean(role))
            page.set_xy(x + half * 0.66, top + 2)
            page.cell(half * 0.3, 9, "Date")
        page.set_xy(page.l_margin, top + 14)


def _fit(page: Page, text: str, width: float) -> str:
    if page.get_string_width(page.clean(text)) <= width:
        return text
    while len(text) > 1 and page.get_string_width(page.clean(text + "…")) > width:
        text = text[:-1]
    return text + "…"
