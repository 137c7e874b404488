"""Attendance for one class and day: the sheet a teacher sees (roster + what was saved), and the save.

The save writes the whole class in ONE statement: the card's key is claimed (``record_submissions``), every
student's row is upserted (latest wins) and one audit row per student is written (``attendance.record`` for a
first save, ``attendance.correct`` with the earlier status when it changed, ``attendance.confirm`` otherwise),
all in one ``INSERT … ON CONFLICT`` chain. A key already used writes nothing and returns the first save's result.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible
from domain.errors import InvalidInput, NotAllowed
from domain.models import Attendance, Enrollment, RecordSubmission, SchoolClass, Student
from domain.records.classes import pick_class
from domain.records.roster_names import RosterName, match
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
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

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

    async def save(self, actor: Actor, draft: AttendanceDraft, key: str, *, via: str) -> SavedAttendance:
        """Save the class's day in one statement (see the module docstring); refusals are audited."""
        if not key or len(key) > MAX_KEY:
            raise InvalidInput("This card has expired; open a new one.")
        refused = False
        strangers: dict[str, str] = {}
        counts: dict[str, int] = {}
        class_name = ""
        corrected = 0
        async with self._sessions() as session, session.begin():  # one connection: the check, then the save
            row = (await session.execute(
                select(SchoolClass.name, func.array_agg(Enrollment.student_id))
                .outerjoin(Enrollment, Enrollment.class_id == SchoolClass.id)
                .where(SchoolClass.id == draft.class_id, class_visible(actor))
                .group_by(SchoolClass.id)
            )).first()
            if row is None:
                refused = True
            else:
                class_name, enrolled = row[0], set(row[1] or ())
                strangers = {f"student_{m.student_id}": "Not in this class." for m in draft.marks
                             if m.student_id not in enrolled}
            if not refused and not strangers:
                counts = {str(k): n for k, n in Counter(m.status for m in draft.marks).items()}
                result = {"class_name": class_name, "day": draft.day.isoformat(), "counts": counts}
                params = {
                    "key": key, "staff": actor.staff_id, "tenant": actor.tenant_id, "aad": actor.aad_object_id,
                    "via": via, "class_id": draft.class_id, "day": draft.day, "result": json.dumps(result),
                    "sids": [m.student_id for m in draft.marks], "statuses": [m.status for m in draft.marks],
                    "reasons": [m.reason for m in draft.marks],
                }
                outcome = (await session.execute(SAVE_CLASS_DAY, params)).one()
                claimed, corrected = int(outcome[0]), int(outcome[1])
                if not claimed:
                    first = await session.get(RecordSubmission, key)
                    assert first is not None
                    if first.staff_id != actor.staff_id or first.kind != "attendance":
                        raise NotAllowed("This card was already used by someone else.")
                    old = first.result
                    return SavedAttendance(False, old["class_name"], date.fromisoformat(old["day"]), old["counts"])
        if refused:
            await audit.record_refusal(self._sessions, actor, action="attendance.record", subject_type="class",
                                       subject_ids=[draft.class_id], via=via, reason="not the caller's class")
            raise NotAllowed("You can only take attendance for your own classes.")
        if strangers:
            raise InvalidInput(SUMMARY, strangers)
        return SavedAttendance(True, class_name, draft.day, counts, corrected=corrected)

    @staticmethod
    async def _class_name(session: AsyncSession, actor: Actor, class_id: int, via: str) -> str:
        name = await session.scalar(select(SchoolClass.name).where(SchoolClass.id == class_id, class_visible(actor)))
        if name is None:
            await audit.record(session, actor, action="attendance.read", subject_type="class", subject_ids=[class_id],
                               via=via, allowed=False, reason="not the caller's class")
            await session.commit()
            raise NotAllowed("You can only take attendance for your own classes.")
        return name


# One statement: claim the card's key, upsert every student's row, audit each (first save, correction, or
# confirmation), and report. Sub-statements of one statement share a snapshot, so ``earlier`` holds the rows as
# they were before this save.
SAVE_CLASS_DAY = text("""
WITH claim AS (
    INSERT INTO record_submissions (key, kind, staff_id, result)
    VALUES (:key, 'attendance', :staff, CAST(:result AS jsonb))
    ON CONFLICT (key) DO NOTHING
    RETURNING key
), incoming AS (
    SELECT t.student_id, t.status, t.reason
    FROM unnest(CAST(:sids AS bigint[]), CAST(:statuses AS text[]), CAST(:reasons AS text[]))
         AS t(student_id, status, reason)
    WHERE EXISTS (SELECT 1 FROM claim)
), earlier AS (
    SELECT student_id, status, reason FROM attendance WHERE class_id = :class_id AND day = :day
), written AS (
    INSERT INTO attendance (class_id, student_id, day, status, reason, recorded_by, recorded_at)
    SELECT :class_id, student_id, :day, status, reason, :staff, now() FROM incoming
    ON CONFLICT (class_id, student_id, day) DO UPDATE
        SET status = EXCLUDED.status, reason = EXCLUDED.reason,
            recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at
    RETURNING student_id, status, reason
), audited AS (
    INSERT INTO audit_log (actor_staff_id, actor_tenant_id, actor_aad_object_id, action, subject_type, subject_id,
                           via, allowed, reason)
    SELECT :staff, :tenant, :aad,
           CASE WHEN e.student_id IS NULL THEN 'attendance.record'
                WHEN e.status IS DISTINCT FROM w.status OR e.reason IS DISTINCT FROM w.reason
                THEN 'attendance.correct'
                ELSE 'attendance.confirm' END,
           'student', w.student_id, :via, true,
           CASE WHEN e.student_id IS NOT NULL
                     AND (e.status IS DISTINCT FROM w.status OR e.reason IS DISTINCT FROM w.reason)
                THEN 'was ' || e.status || coalesce(' (' || e.reason || ')', '') END
    FROM written w LEFT JOIN earlier e USING (student_id)
    RETURNING action
)
SELECT (SELECT count(*) FROM claim) AS claimed,
       (SELECT count(*) FROM audited WHERE action = 'attendance.correct') AS corrected
""")
