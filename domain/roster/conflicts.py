"""Values that must be unique in the database (staff e-mail, student number) checked across the roster before
anything is written, so a clash is reported as the file's problem, with both ids, instead of as a database error."""

from __future__ import annotations

from domain.roster.model import Roster, RosterError

PEOPLE_FILES = {"sds-v1": ("Teacher.csv", "Student.csv"), "graph": ("/education/users", "/education/users")}


def conflicts(roster: Roster) -> list[RosterError]:
    staff_file, student_file = PEOPLE_FILES.get(roster.format, ("users.csv", "users.csv"))
    errors: list[RosterError] = []
    emails: dict[str, str] = {}
    for sid, person in roster.staff.items():
        if person.email:
            other = emails.setdefault(person.email.lower(), sid)
            if other != sid:
                errors.append(RosterError(staff_file, None, f"staff {other!r} and {sid!r} have the same e-mail "
                                                            f"{person.email!r}"))
    numbers: dict[str, str] = {}
    for sid, student in roster.students.items():
        other = numbers.setdefault(student.student_number[:64], sid)
        if other != sid:
            errors.append(RosterError(student_file, None, f"students {other!r} and {sid!r} have the same student "
                                                          f"number {student.student_number!r}"))
    return errors
