"""PE scope: by default only the classes a PE department owns, with their students, teachers and guardians."""

from __future__ import annotations

import re

from domain.roster.model import Roster

DEFAULT_PE_PATTERN = (
    r"\b(physical\s*education|phys\.?\s*ed|p\.?\s?e\.?|gym|health|driver'?s?\s*ed(ucation)?|adapted\s+pe"
    r"|fitness|wellness|athletics)\b"
)


def in_pe_scope(pattern: re.Pattern[str], *texts: str) -> bool:
    return any(pattern.search(text) for text in texts if text)


def narrow(roster: Roster, pattern: str | None) -> Roster:
    """The part of ``roster`` Faraday keeps: PE classes (``pattern`` matched, case-insensitively, against the
    course subject, course title and class title) or every class (``pattern`` None); the students enrolled in them
    (every student with ``pattern`` None), their guardians, the classes' teachers and the administrators; the
    schools any of those belong to."""
    if pattern is None:
        classes = roster.classes
        students = roster.students
    else:
        compiled = re.compile(pattern, re.IGNORECASE)
        classes = {k: c for k, c in roster.classes.items()
                   if in_pe_scope(compiled, c.subject, c.course_title, c.title)}
        enrolled = {student for class_id, student in roster.enrollments if class_id in classes}
        students = {k: s for k, s in roster.students.items() if k in enrolled}
    teachers = {t for c in classes.values() for t in c.teacher_source_ids}
    staff = {k: s for k, s in roster.staff.items() if k in teachers or s.role == "admin"}
    for record in classes.values():
        record.teacher_source_ids = [t for t in record.teacher_source_ids if t in staff]
    schools_used = ({c.school_source_id for c in classes.values()} | {s.school_source_id for s in students.values()}
                    | {s.school_source_id for s in staff.values()})
    return Roster(
        format=roster.format,
        schools={k: s for k, s in roster.schools.items() if k in schools_used},
        staff=staff,
        classes=classes,
        students=students,
        guardians={k: g for k, g in roster.guardians.items() if g.student_source_id in students},
        enrollments={(c, s) for c, s in roster.enrollments if c in classes and s in students},
        district_name=roster.district_name,
    )
