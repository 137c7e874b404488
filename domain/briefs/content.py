"""Build one class's pre-class safety brief for its teacher, from the database, at send time.

- Medical flags: the safety_risks rule (``domain.widgets.safety.flags_shown``): the short flags of the class's
  active students, for a viewer who may see safety fields; never health notes; only those relevant to the class's
  current unit (``domain.briefs.relevance``: life-threatening conditions always), the others counted, not shown.
- Open incidents (status open or follow-up, last ``INCIDENT_DAYS`` days) of the class's students, wherever they
  happened; a head injury not yet closed is a return-to-play restriction (no activity until cleared).
- Equipment the class's current unit uses (or general equipment) that is out of service, damaged or overdue for
  inspection: the equipment widget's query (``domain.widgets.equipment.equipment_issues``), fed by the records'
  equipment checks.
- One protocol to have ready, with its citation in the district's documents: heat illness when the day's
  temperature (entered by staff, else configured) reaches the heat threshold; else return to play when a student has
  a restriction; else the most serious medical flag's protocol (anaphylaxis, asthma, diabetes, seizure); else the
  unit's (aquatics, climbing); else cardiac arrest / AED.

Every student shown is audited (``student.read``, via ``brief``) in the caller's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain import audit
from domain.actor import Actor
from domain.briefs.relevance import relevant
from domain.briefs.types import Brief, FlaggedStudent, GearIssue, OpenIncident, ReadyProtocol
from domain.models import Enrollment, Incident, SchoolClass, Student
from domain.widgets.equipment import equipment_issues
from domain.widgets.queries import display_name
from domain.widgets.safety import flags_shown

VIA = "brief"
INCIDENT_DAYS = 60
MAX_LINES = 8
RESTRICTION = "no physical activity until cleared (return-to-play steps)"


@dataclass(frozen=True, slots=True)
class ProtocolSource:
    slug: str
    title: str  # shown when the document isn't in the knowledge base
    section: str


PROTOCOLS: dict[str, ProtocolSource] = {
    "heat": ProtocolSource("heat-illness-wbgt", "Heat Illness Prevention and WBGT Activity Modification",
                           "Activity Modification by WBGT"),
    "return_to_play": ProtocolSource("return-to-play-return-to-learn",
                                     "Graduated Return to Learn and Return to Play After Concussion",
                                     "Return to Play Steps"),
    "anaphylaxis": ProtocolSource("anaphylaxis-epinephrine", "Anaphylaxis and Epinephrine Auto-Injector Use",
                                  "Immediate Actions"),
    "asthma": ProtocolSource("asthma-attack-response", "Asthma Attack Response During Physical Activity",
                             "Immediate Actions"),
    "diabetes": ProtocolSource("diabetes-hypoglycemia-activity", "Diabetes and Hypoglycemia During Physical Activity",
                               "Before Activity"),
    "seizure": ProtocolSource("seizure-first-aid", "Seizure First Aid During PE and Athletics",
                              "Immediate Actions: Stay, Safe, Side"),
    "aquatics": ProtocolSource("aquatics-pool-safety", "Aquatics and Pool Safety for PE Classes",
                               "Immediate Actions for a Swimmer in Distress"),
    "climbing": ProtocolSource("equipment-climbing-wall-inspection", "Equipment and Climbing Wall Inspection",
                               "Climbing Wall Rules"),
    "cardiac": ProtocolSource("sudden-cardiac-arrest-cpr-aed", "Sudden Cardiac Arrest, CPR and AED Response",
                              "Immediate Actions"),
}
# Medical flags by protocol, most urgent first (a flag is short free text: "asthma: inhaler in PE office").
FLAG_PROTOCOLS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("anaphylaxis", re.compile(r"anaphyla|epi-?pen|epinephrine|allerg", re.I)),
    ("asthma", re.compile(r"asthma|inhaler", re.I)),
    ("diabetes", re.compile(r"diabet|insulin|hypoglyc", re.I)),
    ("seizure", re.compile(r"seizure|epilep", re.I)),
)
UNIT_PROTOCOLS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aquatics", re.compile(r"swim|aquatic|pool|water", re.I)),
    ("climbing", re.compile(r"climb|bouldering|ropes", re.I)),
)

_CHUNK = text(
    "SELECT d.title, d.version, c.id, c.content FROM knowledge_chunks c JOIN knowledge_documents d"
    " ON d.id = c.document_id WHERE d.slug = :slug AND d.approved AND c.section = :section ORDER BY c.ordinal LIMIT 1"
)


async def build_brief(session: AsyncSession, teacher: Actor, brief_id: int, class_id: int, starts_at: datetime,
                      temperature_f: float | None, heat_f: float) -> Brief | None:
    """The brief as the class's teacher may see it; None when the class is gone or no longer theirs."""
    cls = (await session.execute(select(SchoolClass).where(SchoolClass.id == class_id))).scalar_one_or_none()
    if cls is None or cls.teacher_id != teacher.staff_id or not cls.active:
        return None
    tz = ZoneInfo(teacher.time_zone)
    local = starts_at.astimezone(tz)
    students = (await session.execute(
        select(Student.id, display_name(), Student.medical_flags)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .where(Enrollment.class_id == class_id, Student.active.is_(True))
        .order_by(Student.last_name, Student.first_name, Student.id)
    )).all()
    allowed = flags_shown(teacher, ((sid, name, tuple(flags or ())) for sid, name, flags in students))
    shown = [(name, flag, sid) for name, flag, sid in allowed if relevant(flag, cls.current_unit)]
    by_student: dict[int, tuple[str, list[str]]] = {}
    for name, flag, sid in shown:
        by_student.setdefault(sid, (name, []))[1].append(flag)
    flagged = tuple(FlaggedStudent(name, tuple(flags)) for name, flags in by_student.values())
    names = {sid: name for sid, name, _ in students}
    incidents = await _open_incidents(session, names, local.date(), tz)
    _considered, gear = await equipment_issues(session, cls.school_id, local.date(),
                                               {cls.current_unit} if cls.current_unit else None)
    protocol = await _protocol(session, temperature_f, heat_f, incidents, [f for _, f, _ in shown], cls.current_unit)
    await audit.record(session, teacher, action="class.read", subject_type="class", subject_ids=[class_id], via=VIA,
                       allowed=True)
    await audit.record(session, teacher, action="student.read", subject_type="student", via=VIA, allowed=True,
                       subject_ids=sorted({sid for sid, _ in incidents} | set(by_student)))
    return Brief(
        brief_id=brief_id, class_id=class_id, class_name=cls.name, location=cls.location, unit=cls.current_unit,
        starts_at=local, students=len(students), temperature_f=temperature_f, flagged=flagged[:MAX_LINES * 2],
        other_flags=len(allowed) - len(shown), incidents=tuple(i for _, i in incidents)[:MAX_LINES],
        equipment=tuple(GearIssue(g.name, g.issues) for g in gear)[:MAX_LINES], protocol=protocol,
    )


async def _open_incidents(session: AsyncSession, names: dict[int, str], today: date,
                          tz: ZoneInfo) -> list[tuple[int, OpenIncident]]:
    if not names:
        return []
    since = datetime.combine(today - timedelta(days=INCIDENT_DAYS), time(0), tz)
    rows = (await session.execute(
        select(Incident.student_id, Incident.occurred_at, Incident.incident_type, Incident.severity, Incident.status)
        .where(Incident.student_id.in_(sorted(names)), Incident.status.in_(("open", "follow_up")),
               Incident.occurred_at >= since)
        .order_by(Incident.occurred_at.desc(), Incident.id.desc())
    )).all()
    found: list[tuple[int, OpenIncident]] = []
    for sid, at, kind, severity, status in rows:
        if sid is None:
            continue
        restriction = RESTRICTION if kind == "head_injury" else None
        found.append((sid, OpenIncident(names[sid], at.astimezone(tz).date(), kind.replace("_", " "),
                                        severity.value, status, restriction)))
    # restrictions first: they change who may take part today
    return sorted(found, key=lambda item: item[1].restriction is None)


def choose_protocol(temperature_f: float | None, heat_f: float, restricted: bool, flags: list[str],
                    unit: str | None) -> tuple[str, str]:
    """(protocol key, why): the one protocol to have ready for this class today."""
    if temperature_f is not None and temperature_f >= heat_f:
        return "heat", f"it is {temperature_f:.0f}°F today (heat threshold {heat_f:.0f}°F)"
    if restricted:
        return "return_to_play", "a student in this class is not cleared to return to play"
    for key, pattern in FLAG_PROTOCOLS:
        if any(pattern.search(f) for f in flags):
            return key, f"a student in this class has a {key} flag"
    for key, pattern in UNIT_PROTOCOLS:
        if unit and pattern.search(unit):
            return key, f"today's unit is {unit}"
    return "cardiac", "the protocol every PE lesson should have ready"


async def _protocol(session: AsyncSession, temperature_f: float | None, heat_f: float,
                    incidents: list[tuple[int, OpenIncident]], flags: list[str], unit: str | None) -> ReadyProtocol:
    key, reason = choose_protocol(temperature_f, heat_f, any(i.restriction for _, i in incidents), flags, unit)
    source = PROTOCOLS[key]
    row = (await session.execute(_CHUNK, {"slug": source.slug, "section": source.section})).first()
    if row is None:
        return ReadyProtocol(key, reason, source.title, source.section, None, None, "")
    return ReadyProtocol(key, reason, row.title, source.section, row.version, row.id, _first_lines(row.content))


def _first_lines(content: str, limit: int = 300) -> str:
    """The section's text without the "Document — Section" line the chunk starts with, cut at a sentence."""
    body = content.partition("\n")[2].strip() or content.strip()
    if len(body) <= limit:
        return body
    cut = body[:limit]
    end = max(cut.rfind(". "), cut.rfind("\n"))
    return (cut[:end + 1] if end > 80 else cut).strip() + " …"
