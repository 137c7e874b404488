"""Fixed facts of the demo district: term dates, Playground identities and the named students tests rely on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.models import Role

RANDOM_SEED = 20261125
TIME_ZONE = "America/Chicago"
TZ = ZoneInfo(TIME_ZONE)
# Bell times per period (the same at every school of the demo district).
PERIOD_START = {1: time(8, 0), 2: time(8, 55), 3: time(9, 50), 4: time(10, 45), 5: time(12, 10), 6: time(13, 5),
                7: time(14, 0)}
TERM_START = date(2026, 8, 24)  # a Monday
TERM_END = date(2026, 11, 20)  # a Friday; the demo's "today" for inspections and progress
# Row creation time for staff and students, fixed so that two seeded databases are identical.
SEEDED_AT = datetime(2026, 8, 17, 8, 0, tzinfo=TZ)

# The Agents Playground's default mock data (see ARCHITECTURE §11). Not valid UUIDs: kept as text on purpose.
PLAYGROUND_TENANT_ID = "00000000-0000-0000-0000-0000000000001"


def term_days() -> list[date]:
    """Every weekday of the fall term, in order."""
    days, day = [], TERM_START
    while day <= TERM_END:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


@dataclass(frozen=True)
class StaffFixture:
    display_name: str
    email: str
    aad_object_id: str
    role: Role
    school: str
    escalation_rank: int | None = None


@dataclass(frozen=True)
class StudentFixture:
    first_name: str
    last_name: str
    student_number: str
    school: str
    grade: int
    sex: str
    class_name: str  # the student's (only) PE class
    teacher_email: str
    preferred_name: str | None = None
    medical_flags: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


ELEMENTARY = "Lakeside Elementary"
MIDDLE = "Ridgeview Middle"
HIGH = "Lakeside High"


def _playground(name: str, email: str, aad: str, role: Role, rank: int | None = None) -> StaffFixture:
    return StaffFixture(name, email, aad, role, MIDDLE, rank)


# Exact ids from the Playground's default mock data (13 digits in the last group).
ALEX = _playground("Alex Wilber", "alexw@example.com", "00000000-0000-0000-0000-0000000000020", Role.teacher)
MEGAN = _playground("Megan Bowen", "meganb@example.com", "00000000-0000-0000-0000-0000000000021", Role.admin, 1)
ADELE = _playground("Adele Vance", "adelev@example.com", "00000000-0000-0000-0000-0000000000022", Role.nurse)
ISAIAH = _playground("Isaiah Langer", "isaiahl@example.com", "00000000-0000-0000-0000-0000000000023", Role.teacher)
PATTI = _playground("Patti Fernandez", "pattif@example.com", "00000000-0000-0000-0000-0000000000024", Role.coach)
LYNNE = _playground("Lynne Robbins", "lynner@example.com", "00000000-0000-0000-0000-0000000000025", Role.admin, 2)

ASTHMA_FLAG = "Asthma: inhaler kept in PE office"


def _student(first: str, last: str, n: int, school: str, grade: int, sex: str, cls: str, teacher: StaffFixture,
             preferred: str | None = None, flags: tuple[str, ...] = ()) -> StudentFixture:
    return StudentFixture(first, last, f"S10900{n}", school, grade, sex, cls, teacher.email, preferred, flags)


@dataclass(frozen=True)
class DemoFacts:
    district: str
    tenant_id: str
    schools: tuple[str, str, str]
    term_start: date
    term_end: date
    playground_staff: tuple[StaffFixture, ...]
    alex: StaffFixture
    megan: StaffFixture
    adele: StaffFixture
    isaiah: StaffFixture
    patti: StaffFixture
    lynne: StaffFixture
    alex_classes: tuple[str, ...]
    isaiah_classes: tuple[str, ...]
    jamie_ortiz: StudentFixture
    jamie_chen: StudentFixture
    zoe_muller: StudentFixture
    kate_brooks: StudentFixture
    asthma_student: StudentFixture
    riley_novak: StudentFixture
    morgan_tate: StudentFixture
    alert_keywords: tuple[str, ...]

    @property
    def named_students(self) -> tuple[StudentFixture, ...]:
        return (self.jamie_ortiz, self.jamie_chen, self.zoe_muller, self.kate_brooks, self.asthma_student,
                self.riley_novak, self.morgan_tate)


ALEX_CLASSES = ("PE 6 — Period 1", "PE 7 — Period 3", "PE 8 — Period 5")
ISAIAH_CLASSES = ("PE 6 — Period 2", "PE 7 — Period 1", "PE 8 — Period 4")

DEMO = DemoFacts(
    district="Lakeside Unified School District",
    tenant_id=PLAYGROUND_TENANT_ID,
    schools=(ELEMENTARY, MIDDLE, HIGH),
    term_start=TERM_START,
    term_end=TERM_END,
    playground_staff=(ALEX, MEGAN, ADELE, ISAIAH, PATTI, LYNNE),
    alex=ALEX,
    megan=MEGAN,
    adele=ADELE,
    isaiah=ISAIAH,
    patti=PATTI,
    lynne=LYNNE,
    alex_classes=ALEX_CLASSES,
    isaiah_classes=ISAIAH_CLASSES,
    jamie_ortiz=_student("Jamie", "Ortiz", 1, MIDDLE, 6, "F", ALEX_CLASSES[0], ALEX),
    jamie_chen=_student("Jamie", "Chen", 2, MIDDLE, 7, "M", ALEX_CLASSES[1], ALEX),
    zoe_muller=_student("Zoë", "Müller", 3, MIDDLE, 8, "F", ALEX_CLASSES[2], ALEX),
    kate_brooks=_student("Katherine", "Brooks", 4, MIDDLE, 7, "F", ALEX_CLASSES[1], ALEX, preferred="Kate"),
    asthma_student=_student("Eli", "Navarro", 5, MIDDLE, 6, "M", ALEX_CLASSES[0], ALEX, flags=(ASTHMA_FLAG,)),
    riley_novak=_student("Riley", "Novak", 6, MIDDLE, 7, "F", ISAIAH_CLASSES[1], ISAIAH),
    morgan_tate=StudentFixture("Morgan", "Tate", "S109007", HIGH, 11, "M", "PE 11 — Period 2",
                               "marcus.hale@example.com"),
    alert_keywords=("head injury", "concussion", "unconscious", "breathing", "anaphylaxis", "epipen", "seizure",
                    "fracture", "spinal", "911"),
)
