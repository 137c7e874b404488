"""The normalised roster every source is parsed into, and the errors collected while parsing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class RosterError:
    """One problem in the input, located: the file (or Graph resource), the line (1 = the header) and what is wrong."""

    file: str
    line: int | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "message": self.message}


class RosterInvalid(Exception):
    """The input cannot be imported; ``errors`` says where and why. Nothing has been written."""

    def __init__(self, format_name: str, errors: list[RosterError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the {format_name} roster")
        self.format_name = format_name
        self.errors = errors


@dataclass(slots=True)
class SchoolRecord:
    source_id: str
    name: str
    grade_low: int | None = None
    grade_high: int | None = None


@dataclass(slots=True)
class StaffRecord:
    source_id: str
    school_source_id: str
    given_name: str
    family_name: str
    role: str  # teacher | admin (Faraday's roles; nurses and coaches are set by an admin)
    email: str | None = None
    username: str | None = None  # the sign-in name in the file (SDS: no domain; OneRoster: often a UPN)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or (self.username or self.source_id)


@dataclass(slots=True)
class ClassRecord:
    source_id: str
    school_source_id: str
    title: str
    subject: str = ""  # course subject(s) as written in the file
    course_title: str = ""
    grade: int | None = None
    period: str = ""
    location: str = ""
    teacher_source_ids: list[str] = field(default_factory=list)  # the primary teacher first
    term: Term | None = None  # the class's academic session(s), when the export gives them


@dataclass(frozen=True, slots=True)
class Term:
    """When a class runs: its academic session (OneRoster/SDS v2.1 ``academicSessions``, SDS v1 ``Term *`` columns,
    Graph ``term``); a class in several sessions (two semesters) runs from the first one's start to the last one's
    end. Attendance, fitness and skills are recorded only for days inside it."""

    name: str
    starts_on: date
    ends_on: date

    @staticmethod
    def spanning(terms: list[Term]) -> Term | None:
        if not terms:
            return None
        if len(terms) == 1:
            return terms[0]
        ordered = sorted(terms, key=lambda t: (t.starts_on, t.ends_on))
        return Term(f"{ordered[0].name} – {ordered[-1].name}"[:120], ordered[0].starts_on,
                    max(t.ends_on for t in terms))


@dataclass(slots=True)
class StudentRecord:
    source_id: str
    school_source_id: str
    given_name: str
    family_name: str
    student_number: str
    grade: int | None = None
    date_of_birth: date | None = None
    sex: str | None = None  # F | M | X
    preferred_name: str | None = None


@dataclass(slots=True)
class GuardianRecord:
    source_id: str
    student_source_id: str
    name: str
    relationship: str
    phone: str | None = None
    email: str | None = None
    # The family's language (BCP 47) when the export carries one; None leaves what Faraday has as it is.
    language: str | None = None
    # Whether the school may write to this guardian (a SIS "do not contact" is False); None: the export doesn't say,
    # Faraday keeps what it has (a new guardian: allowed).
    contact_allowed: bool | None = None


@dataclass(slots=True)
class Roster:
    format: str  # oneroster-1.1 | oneroster-1.2 | sds-v1 | sds-v2.1 | graph
    schools: dict[str, SchoolRecord] = field(default_factory=dict)
    staff: dict[str, StaffRecord] = field(default_factory=dict)
    classes: dict[str, ClassRecord] = field(default_factory=dict)
    students: dict[str, StudentRecord] = field(default_factory=dict)
    guardians: dict[tuple[str, str], GuardianRecord] = field(default_factory=dict)  # (student, guardian) source ids
    enrollments: set[tuple[str, str]] = field(default_factory=set)  # (class, student) source ids
    district_name: str | None = None


ENTITIES = ("schools", "staff", "classes", "students", "enrollments", "guardians")


# Grade codes: CEDS (OneRoster) and plain numbers (SDS). 13 stands for ungraded / post-secondary / other.
_GRADE_CODES = {"IT": -1, "PR": -1, "PK": -1, "TK": 0, "KG": 0, "K": 0, "UG": 13, "PS": 13, "OTHER": 13}


def parse_grade(value: str) -> int | None:
    """A grade level as Faraday keeps it (0 = kindergarten), or None when the text names no grade at all."""
    text = value.strip().upper()
    if not text:
        return None
    first = text.split(",")[0].strip()
    if first.isdigit():
        number = int(first)
        return number if 0 <= number <= 13 else None
    if first in _GRADE_CODES:
        return _GRADE_CODES[first]
    if first.startswith("PS"):  # PS1..PS4 (post-secondary years)
        return 13
    return None


def parse_sex(value: str) -> str | None:
    text = value.strip().lower()
    if not text:
        return None
    return {"female": "F", "f": "F", "male": "M", "m": "M"}.get(text, "X")
