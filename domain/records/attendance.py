"""Attendance for one class and day: the sheet a teacher sees (roster + what was saved), and the save.

The save writes the whole class in ONE statement: the card's key is claimed (``record_submissions``), every
student's row is upserted (latest wins) and one audit row per student is written (``attendance.record`` for a
first save, ``attendance.correct`` with the earlier status when it changed, ``attendance.confirm`` otherwise),
all in one ``INSERT … ON CONFLICT`` chain. A key already used writes nothing and returns the first save's result.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible, class_visible_to_viewer, viewer_params
from domain.db import DriverSQL, driver_connection, driver_sql
from domain.errors import InvalidInput, NotAllowed
from domain.models import Attendance, Enrollment, RecordSubmission, SchoolClass, Student
from domain.records.classes import pick_class
from domain.records.roster_names import RosterName, match
from domain.records.terms import TermWindow, class_term, current_term, day_error, local_today
from domain.validation import SUMMARY, validate_fields

Status = Literal["present", "absent", "tardy", "excused", "sat_out"]
Reason = Literal["injury", "illness", "no_kit", "medical_note"]
STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]
REASONS: tuple[str, ...] = Reason.__args__  # type: ignore[attr-defined]
OLDEST = timedelta(days=60)  # corrections further back go through the school's SIS
MAX_KEY = 80


class Mark(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_id: int = Field(gt=0)
    status: Status
    reason: Reason | None = None

    @model_validator(mode="after")
    def _reason_only_when_sitting_out(self) -> Mark:
        if self.status == "sat_out" and self.reason is None:
            raise ValueError("sat out needs a reason")
        if self.status != "sat_out":
            self.reason = None
        return self


class AttendanceDraft(BaseModel):
    """A whole class's attendance for one day, as confirmed on the card."""

    model_config = ConfigDict(extra="forbid")
    class_id: int = Field(gt=0)
    day: date
    marks: list[Mark] = Field(min_length=1, max_length=300)


@dataclass(frozen=True, slots=True)
class SheetLine:
    student_id: int
    name: str
    status: str  # saved status, or the proposed one, or present
    reason: str | None = None
    saved: bool = False  # this status is what is on record


@dataclass(frozen=True, slots=True)
class AttendanceSheet:
    """A class's roster for a day with what is on record and what the teacher proposed (unsaved until Save)."""

    key: str
    class_id: int
    class_name: str
    day: date
    lines: tuple[SheetLine, ...]
    already_saved: bool = False  # some of this day is on record: the card corrects it
    unmatched: tuple[str, ...] = ()  # names from chat that match nobody in the class
    changed: tuple[int, ...] = field(default=())  # students the proposal changes

    part: str = ""  # "students 41–52 of 52" when the class is split over several cards

    def counts(self) -> dict[str, int]:
        return dict(Counter(line.status for line in self.lines))

    def pages(self, size: int) -> list[AttendanceSheet]:
        """The sheet split into cards of at most ``size`` students (each its own key: each saves its students)."""
        if len(self.lines) <= size:
            return [self]
        total = len(self.lines)
        return [
            dataclasses.replace(self, key=self.key if start == 0 else uuid.uuid4().hex,
                                lines=self.lines[start:start + size],
                                part=f"students {start + 1}–{min(start + size, total)} of {total}")
            for start in range(0, total, size)
        ]


@dataclass(frozen=True, slots=True)
class SavedAttendance:
    created: bool  # False: this card had already been saved; nothing new was written
    class_name: str
    day: date
    counts: dict[str, int]
    corrected: int = 0


def validate_attendance(data: dict[str, object], today: date) -> AttendanceDraft:
    """Untrusted input → a draft, or ``InvalidInput`` with one message per field (``day``, ``student_<id>``)."""
    def special(error) -> str | None:  # type: ignore[no-untyped-def]
        if error["loc"][:1] == ("marks",) and "sat out needs a reason" in str(error.get("msg")):
            return "Sat out: pick a reason."
        return None

    draft = validate_fields(AttendanceDraft, data, special)
    errors = {}
    if draft.day > today:
        errors["day"] = "Attendance can't be taken for a future date."
    elif draft.day < today - OLDEST:
        errors["day"] = "More than 60 days ago: correct it in the school's student information system."
    if len({m.student_id for m in draft.marks}) != len(draft.marks):
        errors["form"] = "A student appears twice."
    if errors:
        raise InvalidInput(SUMMARY, errors)
    return draft


class AttendanceService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], terms: Sequence[TermWindow] = ()) -> None:
        self._sessions = sessions
        self._terms = tuple(terms)  # the SCHOOL_TERMS setting (domain.records.terms)

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex

    async def sheet(
        self, actor: Actor, *, class_text: str | None, day: date, now: datetime, via: str,
        marks: Sequence[tuple[str, str, str | None]] = (), class_id: int | None = None, key: str | None = None,
    ) -> AttendanceSheet:
        """The roster of the class with the day's saved statuses, overlaid with ``marks`` from chat
        ((name, status, reason); names that match nobody, or several students, come back in ``unmatched``)."""
        async with self._sessions() as session:
            if class_id is None:
                class_id = await pick_class(session, actor, class_text, now, [m[0] for m in marks], via=via)
            class_name = await self._class_name(session, actor, class_id, via)
            rows = (await session.execute(
                select(Student.id, Student.first_name, Student.preferred_name, Student.last_name,
                       Attendance.status, Attendance.reason)
                .join(Enrollment, Enrollment.student_id == Student.id)
                .outerjoin(Attendance, (Attendance.student_id == Student.id) & (Attendance.class_id == class_id)
                           & (Attendance.day == day))
                .where(Enrollment.class_id == class_id)
                .order_by(Student.last_name, Student.first_name, Student.id)
            )).all()
            await audit.record(session, actor, action="attendance.read", subject_type="class", subject_ids=[class_id],
                               via=via, allowed=True)
            await session.commit()
        roster = [RosterName(r[0], r[1], r[3], r[2]) for r in rows]
        proposed: dict[int, tuple[str, str | None]] = {}
        unmatched = []
        for name, status, reason in marks:
            sid = match(name, roster)
            if sid is None:
                unmatched.append(name)
            else:
                proposed[sid] = (status, reason if status == "sat_out" else None)
        lines, changed = [], []
        for sid, first, preferred, last, status, reason in rows:
            name = f"{preferred or first} {last}"
            if sid in proposed:
                new_status, new_reason = proposed[sid]
                if (new_status, new_reason) != (status, reason):
                    changed.append(sid)
                lines.append(SheetLine(sid, name, new_status, new_reason, saved=False))
            else:
                lines.append(SheetLine(sid, name, status or "present", reason, saved=status is not None))
        return AttendanceSheet(
            key=key or self.new_key(), class_id=class_id, class_name=class_name, day=day, lines=tuple(lines),
            already_saved=any(r[4] is not None for r in rows), unmatched=tuple(unmatched), changed=tuple(changed),
        )

    async def save(self, actor: Actor, draft: AttendanceDraft, key: str, *, via: str,
                   today: date | None = None) -> SavedAttendance:
        """Save the class's day in ONE statement and one round trip (see ``SAVE_CLASS_DAY``): the caller's class,
        every student enrolled, the day inside the class's term, the key claimed, the rows upserted and audited; a
        refusal is audited by the same statement. Nothing is written unless all of it is. ``today``: the school's
        date (default: now in the caller's time zone), for the district's current term."""
        if not key or len(key) > MAX_KEY:
            raise InvalidInput("This card has expired; open a new one.")
        counts = {str(k): n for k, n in Counter(m.status for m in draft.marks).items()}
        district_term = current_term(self._terms, today or local_today(actor))
        params = viewer_params(actor) | {
            "term_start": district_term.starts_on if district_term else date.min,
            "term_end": district_term.ends_on if district_term else date.max,
            "key": key, "tenant": actor.tenant_id, "aad": actor.aad_object_id, "via": via,
            "conversation_type": actor.conversation_type, "class_id": draft.class_id, "day": draft.day,
            "day_text": draft.day.isoformat(), "counts": json.dumps(counts),
            "sids": [m.student_id for m in draft.marks], "statuses": [m.status for m in draft.marks],
            "reasons": [m.reason for m in draft.marks],
        }
        async with driver_connection(self._sessions) as connection:
            row = await save_sql(actor).fetchrow(connection, **params)
        assert row is not None  # the statement always returns one row
        if row["class_name"] is None:
            raise NotAllowed("You can only take attendance for your own classes.")
        if row["claimed"]:
            return SavedAttendance(True, row["class_name"], draft.day, counts, corrected=int(row["corrected"]))
        errors = {f"student_{sid}": "Not in this class." for sid in row["strangers"]}
        outside = day_error(draft.day, class_term(row["term_name"], row["term_starts_on"], row["term_ends_on"],
                                                  district_term))
        if outside:
            errors["day"] = outside
        if errors and row["first_staff_id"] is None:
            raise InvalidInput(SUMMARY, errors)
        if row["first_staff_id"] is None:  # claimed by a save committing at this very moment: read it now
            async with self._sessions() as session:
                first = await session.get(RecordSubmission, key)
            if first is None:
                raise InvalidInput("This card is being saved; try again in a moment.")
            first_staff, first_kind, old = first.staff_id, first.kind, dict(first.result)
        else:
            first_staff, first_kind, old = row["first_staff_id"], row["first_kind"], json.loads(row["first_result"])
        if first_staff != actor.staff_id or first_kind != "attendance":
            raise NotAllowed("This card was already used by someone else.")
        return SavedAttendance(False, old["class_name"], date.fromisoformat(old["day"]), old["counts"])

    @staticmethod
    async def _class_name(session: AsyncSession, actor: Actor, class_id: int, via: str) -> str:
        name = await session.scalar(select(SchoolClass.name).where(SchoolClass.id == class_id, class_visible(actor)))
        if name is None:
            await audit.record(session, actor, action="attendance.read", subject_type="class", subject_ids=[class_id],
                               via=via, allowed=False, reason="not the caller's class")
            await session.commit()
            raise NotAllowed("You can only take attendance for your own classes.")
        return name


def save_sql(actor: Actor) -> DriverSQL:
    """``SAVE_CLASS_DAY`` for this kind of viewer (teacher/coach: their classes; nurse/admin: their school's)."""
    return _save_sql(actor.is_school_wide)


@lru_cache(maxsize=2)
def _save_sql(school_wide: bool) -> DriverSQL:
    # The visibility rule is domain.authorization's, compiled with the viewer as bound parameters.
    visible = str(class_visible_to_viewer(school_wide).compile(dialect=_NAMED))
    visible = re.sub(r":(\w+)::(\w+)", r"CAST(:\1 AS \2)", visible)
    if "::" in visible:
        raise RuntimeError(f"unexpected visibility SQL: {visible}")
    return driver_sql(text(SAVE_CLASS_DAY.replace("{visible}", visible)))


_NAMED = postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]

# One statement, one round trip: the caller's class (``cls``: none when not theirs; ``in_term``: the day is inside
# the class's term, else the district's current term, passed in), the marked students not enrolled in it
# (``strangers``), and only when the class is theirs, the day in its term and there are no strangers: claim the
# card's key, upsert every student's row, audit each (first save, correction, or confirmation). A class that isn't
# the caller's writes one refused audit row instead. Sub-statements of one statement share a snapshot, so
# ``earlier`` holds the rows as they were before this save, and ``first`` the card's earlier save when its key was
# already used.
SAVE_CLASS_DAY = """
WITH cls AS (
    SELECT classes.id, classes.name, classes.term_name, classes.term_starts_on, classes.term_ends_on,
           CASE WHEN classes.term_starts_on IS NOT NULL
                THEN CAST(:day AS date) BETWEEN classes.term_starts_on AND classes.term_ends_on
                ELSE CAST(:day AS date) BETWEEN CAST(:term_start AS date) AND CAST(:term_end AS date) END AS in_term
    FROM classes WHERE classes.id = :class_id AND {visible}
), incoming AS (
    SELECT t.student_id, t.status, t.reason
    FROM unnest(CAST(:sids AS bigint[]), CAST(:statuses AS text[]), CAST(:reasons AS text[]))
         AS t(student_id, status, reason)
), strangers AS (
    SELECT i.student_id FROM incoming i
    WHERE EXISTS (SELECT 1 FROM cls)
      AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.class_id = :class_id AND e.student_id = i.student_id)
), refused AS (
    INSERT INTO audit_log (actor_staff_id, actor_tenant_id, actor_aad_object_id, action, subject_type, subject_id,
                           via, allowed, reason, conversation_type)
    SELECT CAST(:viewer_staff_id AS bigint), :tenant, :aad, 'attendance.record', 'class', :class_id, :via, false,
           'not the caller''s class', :conversation_type
    WHERE NOT EXISTS (SELECT 1 FROM cls)
    RETURNING id
), claim AS (
    INSERT INTO record_submissions (key, kind, staff_id, result)
    SELECT :key, 'attendance', CAST(:viewer_staff_id AS bigint),
           jsonb_build_object('class_name', cls.name, 'day', CAST(:day_text AS text), 'counts', CAST(:counts AS jsonb))
    FROM cls WHERE cls.in_term AND NOT EXISTS (SELECT 1 FROM strangers)
    ON CONFLICT (key) DO NOTHING
    RETURNING key
), earlier AS (
    SELECT student_id, status, reason FROM attendance WHERE class_id = :class_id AND day = :day
), written AS (
    INSERT INTO attendance (class_id, student_id, day, status, reason, recorded_by, recorded_at)
    SELECT :class_id, student_id, :day, status, reason, CAST(:viewer_staff_id AS bigint), now() FROM incoming
    WHERE EXISTS (SELECT 1 FROM claim)
    ON CONFLICT (class_id, student_id, day) DO UPDATE
        SET status = EXCLUDED.status, reason = EXCLUDED.reason,
            recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at
    RETURNING student_id, status, reason
), audited AS (
    INSERT INTO audit_log (actor_staff_id, actor_tenant_id, actor_aad_object_id, action, subject_type, subject_id,
                           via, allowed, reason, conversation_type)
    SELECT CAST(:viewer_staff_id AS bigint), :tenant, :aad,
           CASE WHEN e.student_id IS NULL THEN 'attendance.record'
                WHEN e.status IS DISTINCT FROM w.status OR e.reason IS DISTINCT FROM w.reason
                THEN 'attendance.correct'
                ELSE 'attendance.confirm' END,
           'student', w.student_id, :via, true,
           CASE WHEN e.student_id IS NOT NULL
                     AND (e.status IS DISTINCT FROM w.status OR e.reason IS DISTINCT FROM w.reason)
                THEN 'was ' || e.status || coalesce(' (' || e.reason || ')', '') END,
           :conversation_type
    FROM written w LEFT JOIN earlier e USING (student_id)
    RETURNING action
)
SELECT (SELECT name FROM cls) AS class_name, (SELECT term_name FROM cls) AS term_name,
       (SELECT term_starts_on FROM cls) AS term_starts_on, (SELECT term_ends_on FROM cls) AS term_ends_on,
       ARRAY(SELECT student_id FROM strangers ORDER BY student_id) AS strangers,
       (SELECT count(*) FROM claim) AS claimed,
       (SELECT count(*) FROM audited WHERE action = 'attendance.correct') AS corrected,
       (SELECT count(*) FROM refused) AS refused,
       first.staff_id AS first_staff_id, first.kind AS first_kind, CAST(first.result AS text) AS first_result
FROM (SELECT 1) AS one LEFT JOIN record_submissions AS first ON first.key = :key
"""
