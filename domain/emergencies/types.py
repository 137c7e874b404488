"""What an emergency card shows, per viewer: a teacher's own classes (``TeacherView``) or the admins' roll-up
(``RollUp``); and the delivery kinds the relay sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

KINDS = {"evacuation": "Evacuation", "lockdown": "Lockdown", "severe_weather": "Severe weather"}
MARKS = ("missing", "injured", "with_me", "found")
UNACCOUNTED_MARKS = ("missing",)

KIND_TEACHER = "teacher"  # the class roster card, to each teacher with a class in session
KIND_ADMIN = "admin"  # the roll-up card, to each admin
KIND_REMINDER = "reminder"  # the roster card again, to a teacher who has not answered in time
KIND_ESCALATION = "escalation"  # the roll-up again, to each admin, naming the classes still unanswered
ADMIN_KINDS = (KIND_ADMIN, KIND_ESCALATION)
TEACHER_KINDS = (KIND_TEACHER, KIND_REMINDER)


@dataclass(frozen=True, slots=True)
class Header:
    emergency_id: int
    kind: str
    drill: bool
    period: str | None
    school_name: str
    started_by: str
    started_at: datetime  # in the school's time zone
    closed_by: str | None
    closed_at: datetime | None
    version: int

    @property
    def title(self) -> str:
        name = KINDS.get(self.kind, self.kind)
        what = f"{name} drill" if self.drill else name.upper() if self.kind != "severe_weather" else "SEVERE WEATHER"
        return f"{what}{f' — period {self.period}' if self.period else ''}"

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True, slots=True)
class RosterStudent:
    student_id: int
    name: str
    mark: str | None  # the latest mark (None: not marked)


@dataclass(frozen=True, slots=True)
class ClassCard:
    class_id: int
    class_name: str
    location: str
    status: str  # unanswered | all_here | partial
    answered_at: datetime | None
    students: tuple[RosterStudent, ...]


@dataclass(frozen=True, slots=True)
class MissingStudent:
    student_id: int
    name: str
    class_name: str
    teacher: str
    since: datetime


@dataclass(frozen=True, slots=True)
class TeacherView:
    header: Header
    classes: tuple[ClassCard, ...]
    # Students reported missing in other classes (names only: a safety need, so a teacher can say "with me").
    missing_elsewhere: tuple[MissingStudent, ...] = ()
    reminder: bool = False
    refresh_user_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClassTally:
    class_id: int
    class_name: str
    teacher: str
    location: str
    status: str
    answered_at: datetime | None
    enrolled: int
    missing: int
    injured: int
    with_other_teacher: int


@dataclass(frozen=True, slots=True)
class RollUp:
    header: Header
    classes: tuple[ClassTally, ...]
    missing: tuple[MissingStudent, ...]
    injured: tuple[MissingStudent, ...]
    found: int
    escalated: bool = False
    refresh_user_ids: tuple[str, ...] = field(default=())

    @property
    def answered(self) -> int:
        return sum(1 for c in self.classes if c.status != "unanswered")

    @property
    def unanswered(self) -> tuple[ClassTally, ...]:
        return tuple(c for c in self.classes if c.status == "unanswered")

    @property
    def unaccounted(self) -> int:
        """Students not yet accounted for: everyone in an unanswered class, plus every student marked missing."""
        return sum(c.enrolled for c in self.unanswered) + len(self.missing)


EmergencyView = TeacherView | RollUp
