"""``EmergencyService``: start an emergency, account for a class, mark a student, all clear — and what each viewer
sees. Authorization is here, on the server-resolved ``Actor``: only an admin starts or closes one; a teacher answers
and marks only for their own classes in it; an admin (or the class's teacher) marks a missing student found.

Every change locks the emergency row, so answers to one emergency apply one at a time; each is audited in the same
transaction. A re-pressed button or a re-sent command changes nothing more (and writes no second audit row): the
outcome says what is already recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.alerts.types import Clock, Waker, utc_now
from domain.db import unit_of_work
from domain.emergencies.in_session import classes_in_session
from domain.emergencies.types import ADMIN_KINDS, KIND_ADMIN, KIND_TEACHER, KINDS, EmergencyView, RollUp
from domain.emergencies.views import refresh_user_ids, roll_up, teacher_view
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.models import Role

log = logging.getLogger(__name__)

TEACHING_ROLES = (Role.teacher, Role.coach)
START_REFUSED = "Only your school's administrators can start an emergency or a drill."
CLOSE_REFUSED = "Only your school's administrators can give the all clear."
NOT_YOUR_CLASS = "You can only account for your own classes."

_INSERT = text(
    """
    INSERT INTO emergencies (school_id, kind, drill, period, started_by, started_at, escalation_level, escalate_after,
                             version)
    VALUES (:school_id, :kind, :drill, :period, :staff_id, :now, 0, :escalate_after, 0)
    ON CONFLICT (school_id) WHERE closed_at IS NULL DO NOTHING
    RETURNING id
    """
)
_OPEN = text("SELECT id FROM emergencies WHERE school_id = :school_id AND closed_at IS NULL")
_LAST = text("SELECT id FROM emergencies WHERE school_id = :school_id ORDER BY started_at DESC, id DESC LIMIT 1")
_LOCK = text("SELECT id, school_id, closed_at FROM emergencies WHERE id = :id FOR UPDATE")
_ADMINS = text("SELECT id FROM staff WHERE school_id = :school_id AND active AND role = 'admin'"
               " ORDER BY escalation_rank NULLS LAST, id")
_DELIVER = text(
    "INSERT INTO emergency_deliveries (emergency_id, recipient_id, kind, level, status, attempts, next_attempt_at)"
    " VALUES (:emergency_id, :recipient_id, :kind, :level, 'pending', 0, :now) ON CONFLICT DO NOTHING"
)
_CLASS_ROW = text(
    "SELECT teacher_id, status FROM emergency_classes WHERE emergency_id = :id AND class_id = :class_id FOR UPDATE"
)
_ROSTER = text("SELECT student_id FROM enrollments WHERE class_id = :class_id")
_CURRENT = text(
    "SELECT DISTINCT ON (student_id) student_id, mark, class_id FROM emergency_marks"
    " WHERE emergency_id = :id AND student_id = ANY(:ids) ORDER BY student_id, id DESC"
)
_MARK = text(
    "INSERT INTO emergency_marks (emergency_id, student_id, class_id, mark, marked_by, marked_at)"
    " VALUES (:id, :student_id, :class_id, :mark, :staff_id, :now)"
)
_ANSWER = text(
    "UPDATE emergency_classes SET status = :status, answered_at = COALESCE(answered_at, :now)"
    " WHERE emergency_id = :id AND class_id = :class_id"
)
_BUMP = text("UPDATE emergencies SET version = version + 1 WHERE id = :id")
_REFRESH = text(
    "UPDATE emergency_deliveries SET status = 'update_pending', next_attempt_at = :now"
    " WHERE emergency_id = :id AND kind = ANY(:kinds) AND status IN ('sent', 'updating')"
    " AND sent_activity_id IS NOT NULL"
)
_CLOSE = text(
    "UPDATE emergencies SET closed_at = :now, closed_by = :staff_id, escalate_after = NULL, version = version + 1"
    " WHERE id = :id"
)
_CANCEL_PINGS = text(
    "UPDATE emergency_deliveries SET status = 'cancelled', last_error = 'all clear before it was sent'"
    " WHERE emergency_id = :id AND kind IN ('reminder', 'escalation') AND status = 'pending'"
)
_STUDENT = text("SELECT school_id FROM students WHERE id = :id")
_IN_EMERGENCY = text(
    "SELECT ec.class_id, ec.teacher_id FROM emergency_classes ec JOIN enrollments en ON en.class_id = ec.class_id"
    " WHERE ec.emergency_id = :id AND en.student_id = :student_id"
)
_TEACHES = text("SELECT class_id FROM emergency_classes WHERE emergency_id = :id AND teacher_id = :staff_id")
_SCHOOL = text("SELECT time_zone FROM schools WHERE id = :id")
_EMERGENCY_SCHOOL = text("SELECT school_id FROM emergencies WHERE id = :id")


@dataclass(frozen=True, slots=True)
class Started:
    emergency_id: int
    created: bool  # False: one was already open at the school (nothing new was started)
    classes: int
    teachers: int
    kind: str
    drill: bool
    period: str | None


@dataclass(frozen=True, slots=True)
class Closed:
    emergency_id: int | None  # None: nothing was open
    closed_now: bool


@dataclass(frozen=True, slots=True)
class Answer:
    changed: bool
    status: str
    marked: int  # marks written by this answer


def parse_kind(raw: str) -> str:
    kind = "_".join(raw.lower().split())
    if kind not in KINDS:
        raise InvalidInput(f"'{raw}' isn't an emergency kind: use evacuation, lockdown or severe weather.",
                           {"kind": "evacuation | lockdown | severe_weather"})
    return kind


def parse_period(raw: str | None) -> str | None:
    if raw is None:
        return None
    period = raw.strip()
    if not period or len(period) > 20 or not period.replace("-", "").isalnum():
        raise InvalidInput("A period is a short name such as 3 or 3A.", {"period": "e.g. 3"})
    return period


class EmergencyService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, clock: Clock = utc_now,
                 escalate_after: timedelta = timedelta(minutes=3), waker: Waker | None = None) -> None:
        self._sessions = sessions
        self._clock = clock
        self.escalate_after = escalate_after
        self._waker = waker

    # --- admins ---

    async def may_start(self, actor: Actor, *, via: str) -> None:
        """Raise ``NotAllowed`` (the refusal audited) unless this actor may start an emergency: before showing them
        a confirmation to start one."""
        if actor.role is not Role.admin:
            await audit.record_refusal(self._sessions, actor, action="emergency.start", subject_type="school",
                                       subject_ids=[actor.school_id], via=via, reason="not an administrator")
            raise NotAllowed(START_REFUSED)

    async def start(self, actor: Actor, kind: str, *, drill: bool, period: str | None, via: str,
                    reason: str | None = None) -> Started:
        """``reason`` is kept on the audit row (e.g. "from alert 12" when started from an alert card)."""
        kind, period = parse_kind(kind), parse_period(period)
        await self.may_start(actor, via=via)
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            emergency_id = await session.scalar(_INSERT, {
                "school_id": actor.school_id, "kind": kind, "drill": drill, "period": period,
                "staff_id": actor.staff_id, "now": now, "escalate_after": now + self.escalate_after})
            if emergency_id is None:  # already open: a re-sent command, or a second admin a moment later
                return await self._existing(session, actor.school_id)
            time_zone = await session.scalar(_SCHOOL, {"id": actor.school_id})
            classes = await classes_in_session(session, actor.school_id, period=period, now=now,
                                               time_zone=time_zone or "UTC")
            if classes:
                await session.execute(
                    text("INSERT INTO emergency_classes (emergency_id, class_id, teacher_id, status)"
                         " VALUES (:id, :class_id, :teacher_id, 'unanswered')"),
                    [{"id": emergency_id, "class_id": c.class_id, "teacher_id": c.teacher_id} for c in classes])
            teachers = sorted({c.teacher_id for c in classes})
            admins = [r[0] for r in (await session.execute(_ADMINS, {"school_id": actor.school_id})).all()]
            rows = [_delivery(emergency_id, t, KIND_TEACHER, 0, now) for t in teachers]
            rows += [_delivery(emergency_id, a, KIND_ADMIN, 0, now) for a in admins]
            if rows:
                await session.execute(_DELIVER, rows)
            if not teachers:  # nobody to remind
                await session.execute(text("UPDATE emergencies SET escalate_after = NULL WHERE id = :id"),
                                      {"id": emergency_id})
            await audit.record(session, actor, action="emergency.start", subject_type="emergency",
                               subject_ids=[emergency_id], via=via, allowed=True, reason=reason)
            self._poke_after_commit(session)
        log.info("emergency started", extra={"emergency_id": emergency_id, "kind": kind, "drill": drill,
                                             "classes": len(classes), "deliveries": len(rows)})
        return Started(emergency_id, True, len(classes), len(teachers), kind, drill, period)

    async def all_clear(self, actor: Actor, *, via: str) -> Closed:
        if actor.role is not Role.admin:
            await audit.record_refusal(self._sessions, actor, action="emergency.all_clear", subject_type="school",
                                       subject_ids=[actor.school_id], via=via, reason="not an administrator")
            raise NotAllowed(CLOSE_REFUSED)
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            emergency_id = await session.scalar(text(
                "SELECT id FROM emergencies WHERE school_id = :school_id AND closed_at IS NULL FOR UPDATE"),
                {"school_id": actor.school_id})
            if emergency_id is None:
                return Closed(await session.scalar(_LAST, {"school_id": actor.school_id}), False)
            await session.execute(_CLOSE, {"now": now, "staff_id": actor.staff_id, "id": emergency_id})
            await session.execute(_CANCEL_PINGS, {"id": emergency_id})
            await session.execute(_REFRESH, {"now": now, "id": emergency_id,
                                             "kinds": ["teacher", "admin", "reminder", "escalation"]})
            await audit.record(session, actor, action="emergency.all_clear", subject_type="emergency",
                               subject_ids=[emergency_id], via=via, allowed=True)
            self._poke_after_commit(session)
        return Closed(emergency_id, True)

    async def open_at(self, actor: Actor) -> int | None:
        async with self._sessions() as session:
            emergency_id: int | None = await session.scalar(_OPEN, {"school_id": actor.school_id})
            return emergency_id

    async def latest_at(self, actor: Actor) -> int | None:
        async with self._sessions() as session:
            emergency_id: int | None = await session.scalar(_LAST, {"school_id": actor.school_id})
            return emergency_id

    async def status(self, actor: Actor, *, via: str) -> RollUp | None:
        """The roll-up of the open emergency (else the latest one) for an admin; None when there has been none."""
        if actor.role is not Role.admin:
            raise NotAllowed("The emergency roll-up is for your school's administrators.")
        emergency_id = await self.open_at(actor) or await self.latest_at(actor)
        if emergency_id is None:
            return None
        view = await self.view(actor, emergency_id, via=via)
        assert isinstance(view, RollUp)
        return view

    # --- teachers ---

    async def account(self, actor: Actor, emergency_id: int, class_id: int, *, missing: Iterable[int] = (),
                      injured: Iterable[int] = (), via: str) -> Answer:
        """The class's answer: everyone here except ``missing`` and ``injured`` (both empty: *All here*). A student
        this class marked missing or injured earlier and now left out is recorded found."""
        missing_ids, injured_ids = set(missing), set(injured)
        if missing_ids & injured_ids:
            raise InvalidInput("A student can't be both missing and injured; nothing was recorded.",
                               {"missing": "overlaps injured"})
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            await self._lock_open(session, actor, emergency_id)
            row = (await session.execute(_CLASS_ROW, {"id": emergency_id, "class_id": class_id})).first()
            if row is None:
                raise NotFound("That class isn't part of this emergency.")
            if row.teacher_id != actor.staff_id:
                await self._refuse(actor, "emergency.account", "class", [class_id], via)
                raise NotAllowed(NOT_YOUR_CLASS)
            roster = {r[0] for r in (await session.execute(_ROSTER, {"class_id": class_id})).all()}
            if not (missing_ids | injured_ids) <= roster:
                raise InvalidInput("Some of the students marked aren't on this class's roster; nothing was recorded.")
            current = await _current(session, emergency_id, roster)
            marks: list[tuple[int, str]] = []
            for sid in sorted(roster):
                cur = current.get(sid)
                mark, where = (cur[0], cur[1]) if cur else (None, None)
                if sid in missing_ids and mark != "missing":
                    marks.append((sid, "missing"))
                elif sid in injured_ids and mark != "injured":
                    marks.append((sid, "injured"))
                elif sid not in missing_ids | injured_ids and mark in ("missing", "injured") and where == class_id:
                    marks.append((sid, "found"))
            status = "partial" if missing_ids or injured_ids else "all_here"
            if not marks and row.status == status:
                return Answer(False, status, 0)
            await self._write_marks(session, actor, emergency_id, class_id, marks, now, via)
            await session.execute(_ANSWER, {"status": status, "now": now, "id": emergency_id, "class_id": class_id})
            await audit.record(session, actor, action="emergency.account", subject_type="class",
                               subject_ids=[class_id], via=via, allowed=True, reason=status)
            await self._changed(session, emergency_id, now)
        return Answer(True, status, len(marks))

    async def with_me(self, actor: Actor, emergency_id: int, class_id: int, student_id: int, *, via: str) -> Answer:
        """A student from another class is with this teacher: accounted for."""
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            await self._lock_open(session, actor, emergency_id)
            row = (await session.execute(_CLASS_ROW, {"id": emergency_id, "class_id": class_id})).first()
            if row is None or row.teacher_id != actor.staff_id:
                await self._refuse(actor, "emergency.mark", "student", [student_id], via)
                raise NotAllowed("You can only report a student with you from your own class in this emergency.")
            if await session.scalar(_STUDENT, {"id": student_id}) != actor.school_id:
                raise NotFound("That student isn't at your school.")
            roster = {r[0] for r in (await session.execute(_ROSTER, {"class_id": class_id})).all()}
            if student_id in roster:
                raise InvalidInput("That student is on your own roster: use All here, or leave them unmarked.")
            current = await _current(session, emergency_id, {student_id})
            if current.get(student_id, (None,))[0] == "with_me":
                return Answer(False, row.status, 0)
            await self._write_marks(session, actor, emergency_id, class_id, [(student_id, "with_me")], now, via)
            await self._changed(session, emergency_id, now)
        return Answer(True, row.status, 1)

    async def found(self, actor: Actor, emergency_id: int, student_id: int, *, via: str) -> Answer:
        """A student marked missing is found: by an admin, or by the teacher of the class that marked them."""
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            await self._lock_open(session, actor, emergency_id)
            current = (await _current(session, emergency_id, {student_id})).get(student_id)
            if current is None or current[0] != "missing":
                if actor.role is Role.admin or await self._teaches_student(session, actor, emergency_id, student_id):
                    return Answer(False, current[0] if current else "not marked", 0)
                await self._refuse(actor, "emergency.mark", "student", [student_id], via)
                raise NotAllowed("Only an administrator or the student's teacher can mark a student found.")
            teacher_of_mark = await session.scalar(
                text("SELECT teacher_id FROM emergency_classes WHERE emergency_id = :id AND class_id = :class_id"),
                {"id": emergency_id, "class_id": current[1]})
            if actor.role is not Role.admin and teacher_of_mark != actor.staff_id:
                await self._refuse(actor, "emergency.mark", "student", [student_id], via)
                raise NotAllowed("Only an administrator or the student's teacher can mark a student found.")
            await self._write_marks(session, actor, emergency_id, current[1], [(student_id, "found")], now, via)
            await self._changed(session, emergency_id, now)
        return Answer(True, "found", 1)

    # --- everyone with a part in it ---

    async def view(self, actor: Actor, emergency_id: int, *, via: str) -> EmergencyView:
        """What this viewer's card shows: admins the roll-up; a teacher their own classes in it."""
        async with unit_of_work(self._sessions) as session:
            school_id = await session.scalar(_EMERGENCY_SCHOOL, {"id": emergency_id})
            if school_id is None or school_id != actor.school_id:
                raise NotFound("That emergency doesn't exist at your school.")
            users = await refresh_user_ids(session, actor.staff_id)
            view: EmergencyView | None
            if actor.role is Role.admin:
                view = await roll_up(session, emergency_id, user_ids=users)
                subject_type, subject_ids = "emergency", [emergency_id]
            else:
                classes = [r[0] for r in (await session.execute(
                    _TEACHES, {"id": emergency_id, "staff_id": actor.staff_id})).all()]
                if not classes:
                    raise NotAllowed("You have no class in this emergency; your administrators have the roll-up.")
                view = await teacher_view(session, emergency_id, actor.staff_id, user_ids=users)
                subject_type, subject_ids = "class", classes
            assert view is not None
            await audit.record(session, actor, action="emergency.read", subject_type=subject_type,
                               subject_ids=subject_ids, via=via, allowed=True)
            return view

    # --- internals ---

    async def _existing(self, session: AsyncSession, school_id: int) -> Started:
        row = (await session.execute(text(
            "SELECT e.id, e.kind, e.drill, e.period, (SELECT count(*) FROM emergency_classes c WHERE"
            " c.emergency_id = e.id) AS classes, (SELECT count(DISTINCT teacher_id) FROM emergency_classes c WHERE"
            " c.emergency_id = e.id) AS teachers FROM emergencies e WHERE e.school_id = :school_id"
            " AND e.closed_at IS NULL"), {"school_id": school_id})).one()
        return Started(row.id, False, row.classes, row.teachers, row.kind, row.drill, row.period)

    async def _lock_open(self, session: AsyncSession, actor: Actor, emergency_id: int) -> Any:
        row = (await session.execute(_LOCK, {"id": emergency_id})).first()
        if row is None or row.school_id != actor.school_id:
            raise NotFound("That emergency doesn't exist at your school.")
        if row.closed_at is not None:
            raise InvalidInput("This emergency is over (all clear given); nothing was changed.")
        return row

    async def _teaches_student(self, session: AsyncSession, actor: Actor, emergency_id: int,
                               student_id: int) -> bool:
        rows = (await session.execute(_IN_EMERGENCY, {"id": emergency_id, "student_id": student_id})).all()
        return any(r.teacher_id == actor.staff_id for r in rows)

    async def _write_marks(self, session: AsyncSession, actor: Actor, emergency_id: int, class_id: int | None,
                           marks: Sequence[tuple[int, str]], now: datetime, via: str) -> None:
        if not marks:
            return
        await session.execute(_MARK, [{"id": emergency_id, "student_id": sid, "class_id": class_id, "mark": mark,
                                       "staff_id": actor.staff_id, "now": now} for sid, mark in marks])
        for mark in sorted({m for _, m in marks}):
            await audit.record(session, actor, action=f"emergency.mark.{mark}", subject_type="student",
                               subject_ids=[sid for sid, m in marks if m == mark], via=via, allowed=True)

    async def _changed(self, session: AsyncSession, emergency_id: int, now: datetime) -> None:
        """The admins' cards show something new: bump the version and queue an update of every sent one."""
        await session.execute(_BUMP, {"id": emergency_id})
        await session.execute(_REFRESH, {"now": now, "id": emergency_id, "kinds": list(ADMIN_KINDS)})
        self._poke_after_commit(session)

    async def _refuse(self, actor: Actor, action: str, subject_type: str, ids: list[int], via: str) -> None:
        await audit.record_refusal(self._sessions, actor, action=action, subject_type=subject_type, subject_ids=ids,
                                   via=via, reason="not their class")

    def _poke_after_commit(self, session: AsyncSession) -> None:
        if self._waker is None:
            return
        waker = self._waker

        def after_commit(_: Any) -> None:
            waker.poke()

        event.listen(session.sync_session, "after_commit", after_commit, once=True)


async def _current(session: AsyncSession, emergency_id: int, student_ids: Iterable[int]) -> dict[int, tuple[str, int]]:
    ids = sorted(set(student_ids))
    if not ids:
        return {}
    rows = (await session.execute(_CURRENT, {"id": emergency_id, "ids": ids})).all()
    return {r.student_id: (r.mark, r.class_id) for r in rows}


def _delivery(emergency_id: int, recipient_id: int, kind: str, level: int, now: datetime) -> dict[str, Any]:
    return {"emergency_id": emergency_id, "recipient_id": recipient_id, "kind": kind, "level": level, "now": now}
