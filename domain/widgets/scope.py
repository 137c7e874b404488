"""Which classes (and optionally which student) a widget runs on, resolved against what the caller may see.

Class text is what a teacher types: "period 3", "p3", "PE 7", "7th grade", "PE 7 — Period 3", "drivers ed". It is
matched against the caller's visible classes only (``class_visible``). A text that names none of them but names a
class of the caller's school is refused (``NotAllowed``, audited); anything else is "unknown" and the message lists
the caller's classes so the model (or the user) can pick one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible, student_visible
from domain.errors import InvalidInput
from domain.models import Enrollment, SchoolClass, Student
from domain.names import MATCH_THRESHOLD, NameParts, name_score, normalize
from domain.widgets.result import Period

MAX_LISTED_CLASSES = 20
_PERIOD = re.compile(r"\b(?:period|per|p)\s*(\d{1,2})\b|\b(\d{1,2})(?:st|nd|rd|th)\s+period\b")
_GRADE = re.compile(r"\b(?:pe|grade|gr)\s*(\d{1,2}|k)\b|\b(\d{1,2})(?:st|nd|rd|th)\s+grade")
_SUBJECTS = (
    (re.compile(r"\bdriv(?:ers?|ing)\b"), "Drivers Ed"),
    (re.compile(r"\badapt(?:ed|ive)\b"), "Adapted PE"),
    (re.compile(r"\bhealth\b"), "Health"),
)
_ALL = re.compile(r"^(all|all classes|all my classes|my classes|everything|every class|school|whole school)$")


@dataclass(frozen=True, slots=True)
class ClassRef:
    id: int
    name: str
    school_id: int
    teacher_id: int
    subject: str
    grade: int
    period: str
    location: str
    current_unit: str | None


@dataclass(frozen=True, slots=True)
class StudentRef:
    id: int
    display_name: str


@dataclass(frozen=True, slots=True)
class ClassQuery:
    """What a class text asks for; every field set must match."""

    period: str | None = None
    grade: int | None = None
    subject: str | None = None
    words: str = ""

    @property
    def specific(self) -> bool:
        return self.period is not None or self.grade is not None or self.subject is not None


def parse_class_text(text: str) -> ClassQuery:
    norm = normalize(text)
    period = _PERIOD.search(norm)
    grade = _GRADE.search(norm) or re.search(r"\bkindergarten\b", norm)
    grade_value: int | None = None
    if grade:
        raw = grade.group(0) if grade.re.pattern == r"\bkindergarten\b" else (grade.group(1) or grade.group(2))
        grade_value = 0 if raw in ("k", "kindergarten") else int(raw)
    subject = next((name for pattern, name in _SUBJECTS if pattern.search(norm)), None)
    return ClassQuery(
        period=str(int(period.group(1) or period.group(2))) if period else None,
        grade=grade_value,
        subject=subject,
        words=norm,
    )


def matches(query: ClassQuery, c: ClassRef) -> bool:
    if query.specific:
        return (
            (query.period is None or c.period == query.period)
            and (query.grade is None or (c.grade == query.grade and c.subject != "Drivers Ed"))
            and (query.subject is None or c.subject == query.subject)
        )
    name = normalize(c.name)
    return bool(query.words) and (query.words in name or name in query.words)


def wants_all(text: str | None) -> bool:
    return text is None or not text.strip() or bool(_ALL.match(normalize(text)))


def describe(classes: list[ClassRef]) -> str:
    names = [c.name for c in classes[:MAX_LISTED_CLASSES]]
    more = f" and {len(classes) - MAX_LISTED_CLASSES} more" if len(classes) > MAX_LISTED_CLASSES else ""
    return ", ".join(names) + more if names else "none"


async def visible_classes(session: AsyncSession, actor: Actor) -> list[ClassRef]:
    rows = await session.execute(
        _class_select().where(class_visible(actor)).order_by(SchoolClass.period, SchoolClass.name)
    )
    return [ClassRef(*r) for r in rows]


async def school_classes_not_visible(session: AsyncSession, actor: Actor) -> list[ClassRef]:
    rows = await session.execute(
        _class_select().where(SchoolClass.school_id == actor.school_id, not_(class_visible(actor)))
    )
    return [ClassRef(*r) for r in rows]


def _class_select() -> Select[int, str, int, int, str, int, str, str, str | None]:
    return select(
        SchoolClass.id,
        SchoolClass.name,
        SchoolClass.school_id,
        SchoolClass.teacher_id,
        SchoolClass.subject,
        SchoolClass.grade,
        SchoolClass.period,
        SchoolClass.location,
        SchoolClass.current_unit,
    )


async def resolve_student(
    session: AsyncSession, actor: Actor, classes: list[ClassRef], text: str, *, via: str
) -> StudentRef:
    """One student enrolled in ``classes`` by (fuzzy) name or student number; ambiguity and misses are messages."""
    text = " ".join(text.split())
    if not text or len(text) > 120:
        raise InvalidInput("Give the student's name (up to 120 characters).")
    stmt = (
        select(Student.id, Student.first_name, Student.last_name, Student.preferred_name, Student.student_number)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .where(Enrollment.class_id.in_([c.id for c in classes]), student_visible(actor))
        .distinct()
    )
    found = _best(text, list(await session.execute(stmt)))
    scope = classes[0].name if len(classes) == 1 else "your classes"
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        names = "; ".join(s.display_name for s in found[:5])
        raise InvalidInput(f"Several students in {scope} match '{text}': {names}. Which one?")
    refused = _best(
        text,
        list(
            await session.execute(
                select(Student.id, Student.first_name, Student.last_name, Student.preferred_name,
                       Student.student_number).where(not_(student_visible(actor)))
            )
        ),
    )
    await audit.record(session, actor, action="student.read", subject_type="student",
                       subject_ids=[s.id for s in refused], via=via, allowed=False,
                       reason="not in the caller's classes or school")
    raise StudentNotInScope(f"No student called '{text}' in {scope}.")


class StudentNotInScope(InvalidInput):
    """Raised after the refused look-up is audited (the caller commits the audit row, then re-raises)."""


def _best(text: str, rows: list) -> list[StudentRef]:  # type: ignore[type-arg]
    number = text.upper()
    exact = [r for r in rows if r.student_number == number]
    if exact:
        return [StudentRef(r.id, f"{r.preferred_name or r.first_name} {r.last_name}") for r in exact]
    scored = sorted(
        (
            (name_score(text, NameParts(r.first_name, r.last_name, r.preferred_name)), r)
            for r in rows
        ),
        key=lambda p: (-p[0], p[1].id),
    )
    scored = [(s, r) for s, r in scored if s >= MATCH_THRESHOLD]
    if not scored:
        return []
    best = scored[0][0]
    margin = 3.0 if best >= 97 else 5.0
    return [StudentRef(r.id, f"{r.preferred_name or r.first_name} {r.last_name}")
            for s, r in scored if s >= best - margin]


@dataclass(frozen=True, slots=True)
class WidgetScope:
    """A resolved request: the classes (maybe one), the optional student, the period, and how to name the scope."""

    actor: Actor
    today: date
    period: Period
    classes: tuple[ClassRef, ...]
    label: str
    via: str
    school_wide: bool = False  # no class named, and the caller reads the whole school
    named_class: bool = False  # the user named the class (as opposed to "all my classes")
    student: StudentRef | None = None
    options: dict[str, int] = field(default_factory=dict)
    shown: list[int] = field(default_factory=list)  # students audited as read (filled by the audit helper)

    @property
    def class_ids(self) -> list[int]:
        return [c.id for c in self.classes]

    @property
    def one(self) -> ClassRef:
        return self.classes[0]
