"""Microsoft School Data Sync CSV v1: School, Section, Student, Teacher, StudentEnrollment, TeacherRoster.

Ids are ``SIS ID``; dates M/D/YYYY; ``Username`` is the sign-in name without a domain. The ``Password`` column is
never read."""

from __future__ import annotations

from domain.roster import checks
from domain.roster.files import RosterFiles, get, read_table
from domain.roster.model import (
    ClassRecord,
    Roster,
    RosterError,
    SchoolRecord,
    StaffRecord,
    StudentRecord,
    parse_grade,
)

FILES = ("School.csv", "Section.csv", "Student.csv", "Teacher.csv", "StudentEnrollment.csv", "TeacherRoster.csv")


def looks_like(files: RosterFiles) -> bool:
    """Any of SDS v1's file names (a missing one is then reported as missing, not as an unknown format)."""
    return any(files.has(name) for name in FILES)


def parse(files: RosterFiles, errors: list[RosterError]) -> Roster:
    roster = Roster(format="sds-v1")
    schools = read_table(files, "School.csv", ("SIS ID", "Name"), errors)
    sections = read_table(files, "Section.csv", ("SIS ID", "School SIS ID", "Section Name"), errors)
    students = read_table(files, "Student.csv", ("SIS ID", "School SIS ID", "Username"), errors)
    teachers = read_table(files, "Teacher.csv", ("SIS ID", "School SIS ID", "Username"), errors)
    student_enrollments = read_table(files, "StudentEnrollment.csv", ("Section SIS ID", "SIS ID"), errors)
    teacher_rosters = read_table(files, "TeacherRoster.csv", ("Section SIS ID", "SIS ID"), errors)
    if None in (schools, sections, students, teachers, student_enrollments, teacher_rosters):
        return roster
    assert schools and sections and students and teachers and student_enrollments and teacher_rosters

    seen: dict[str, int] = {}
    for line, row in schools:
        sid = checks.source_id(get(row, "SIS ID"), schools.file, line, "SIS ID", errors)
        if sid is None or checks.duplicate(seen, sid, schools.file, line, "school SIS ID", errors):
            continue
        if checks.removed(get(row, "Status"), schools.file, line, errors):
            continue
        roster.schools[sid] = SchoolRecord(
            sid, get(row, "Name") or sid, parse_grade(get(row, "Grade Low")), parse_grade(get(row, "Grade High"))
        )

    def school_of(value: str, file: str, line: int) -> str | None:
        if value not in roster.schools:
            errors.append(RosterError(file, line, f"School SIS ID {value!r} is not in School.csv"))
            return None
        return value

    seen = {}
    for line, row in sections:
        sid = checks.source_id(get(row, "SIS ID"), sections.file, line, "SIS ID", errors)
        if sid is None or checks.duplicate(seen, sid, sections.file, line, "section SIS ID", errors):
            continue
        if checks.removed(get(row, "Status"), sections.file, line, errors):
            continue
        term = checks.term(get(row, "Term Name") or get(row, "Term SIS ID"), get(row, "Term StartDate"),
                           get(row, "Term EndDate"), sections.file, line, errors, iso=False)
        school = school_of(get(row, "School SIS ID"), sections.file, line)
        if school is None:
            continue
        roster.classes[sid] = ClassRecord(
            sid, school, get(row, "Section Name"), subject=get(row, "Course Subject"),
            course_title=" ".join(filter(None, (get(row, "Course Name"), get(row, "Course Description")))),
            period=get(row, "Periods"), location="", term=term,
        )

    seen = {}
    for line, row in students:
        sid = checks.source_id(get(row, "SIS ID"), students.file, line, "SIS ID", errors)
        if sid is None or checks.duplicate(seen, sid, students.file, line, "student SIS ID", errors):
            continue
        born = checks.us_date(get(row, "Birthdate"), students.file, line, "Birthdate", errors)
        if checks.removed(get(row, "Status"), students.file, line, errors):
            continue
        school = school_of(get(row, "School SIS ID"), students.file, line)
        if school is None:
            continue
        username = get(row, "Username")
        roster.students[sid] = StudentRecord(
            sid, school, get(row, "First Name") or username, get(row, "Last Name"),
            student_number=get(row, "Student Number") or sid, grade=parse_grade(get(row, "Grade")),
            date_of_birth=born,
        )

    seen = {}
    for line, row in teachers:
        sid = checks.source_id(get(row, "SIS ID"), teachers.file, line, "SIS ID", errors)
        if sid is None or checks.duplicate(seen, sid, teachers.file, line, "teacher SIS ID", errors):
            continue
        if checks.removed(get(row, "Status"), teachers.file, line, errors):
            continue
        school = school_of(get(row, "School SIS ID"), teachers.file, line)
        if school is None:
            continue
        username = get(row, "Username")
        roster.staff[sid] = StaffRecord(
            sid, school, get(row, "First Name") or username, get(row, "Last Name"), role="teacher",
            email=get(row, "Secondary Email") or None, username=username or None,
        )

    listed = {name: {get(row, "SIS ID") for _, row in table}  # inactive rows included
              for name, table in (("Section.csv", sections), ("Student.csv", students), ("Teacher.csv", teachers))}
    for table, people, kind, people_file in ((student_enrollments, roster.students, "student", "Student.csv"),
                                             (teacher_rosters, roster.staff, "teacher", "Teacher.csv")):
        for line, row in table:
            section, person = get(row, "Section SIS ID"), get(row, "SIS ID")
            if section not in roster.classes:
                if section not in listed["Section.csv"]:
                    errors.append(RosterError(table.file, line, f"Section SIS ID {section!r} is not in Section.csv"))
                continue  # an inactive section's rows go with it
            if person not in people:
                if person not in listed[people_file]:
                    errors.append(RosterError(table.file, line, f"{kind} SIS ID {person!r} is not in {people_file}"))
                continue
            if kind == "student":
                roster.enrollments.add((section, person))
            elif person not in roster.classes[section].teacher_source_ids:
                roster.classes[section].teacher_source_ids.append(person)
    return roster
