"""Saving a class's attendance: 40 students, p50/p95 of the save as the bot does it (``AttendanceService.save``:
ONE statement, one round trip on the driver connection, that checks the class and its students, claims the card's
key, upserts every student and audits each), against two peers in the same run doing the same work:

- ``peer``: one INSERT … ON CONFLICT per student (same read, same key claim, the audit rows in one batch);
- ``previous``: the save as it was before the round trips were cut (an ORM session: BEGIN, the authorization read,
  the claim/upsert/audit statement, COMMIT: 4 round trips).

All on the same embedded PostgreSQL, in turn, with fresh days and corrections. Also the size of the class's
attendance card in a message activity, beside Teams' 80 KB recommendation.

``.venv/bin/python -m bench.records [--students 40] [--saves 200]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from domain.actor import Actor
from domain.authorization import class_visible
from domain.db import make_engine, make_sessionmaker
from domain.models import Enrollment, Role, SchoolClass
from domain.records.attendance import AttendanceService, validate_attendance

STATUSES = ("present", "absent", "tardy", "excused")


async def setup(sessions, students: int) -> tuple[Actor, list[int], list[list[int]]]:  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        for sql in (
            "INSERT INTO districts (id, name) VALUES (1, 'Bench District')",
            "INSERT INTO schools (id, district_id, name, code, time_zone, grade_low, grade_high, supervision_ratio)"
            " VALUES (1, 1, 'Bench Middle', 'BM', 'America/Chicago', 6, 8, 30)",
            "INSERT INTO staff (id, school_id, tenant_id, aad_object_id, email, display_name, role, active)"
            " VALUES (1, 1, 't', 'teacher', 't@example.com', 'Teacher', 'teacher', true)",
        ):
            await s.execute(text(sql))
        classes, rosters = [], []
        for c in range(3):
            cid = (await s.execute(text(
                "INSERT INTO classes (school_id, teacher_id, name, subject, grade, period, location, meeting_days, "
                "minutes) VALUES (1, 1, :name, 'PE', 7, :p, 'Gym', '[0,1,2,3,4]', 50) RETURNING id"),
                {"name": f"PE 7 — Period {c + 1}", "p": str(c + 1)})).scalar_one()
            ids = []
            for i in range(students):
                sid = (await s.execute(text(
                    "INSERT INTO students (school_id, student_number, first_name, last_name, grade, date_of_birth, sex,"
                    " directory_opt_out, medical_flags, adaptations) VALUES (1, :n, :f, 'Bench', 7, '2013-05-01', 'F',"
                    " false, '[]', '[]') RETURNING id"), {"n": f"B{c}{i:04d}", "f": f"Student{c}x{i}"})).scalar_one()
                ids.append(sid)
            await s.execute(text("INSERT INTO enrollments (class_id, student_id, keep_apart_from) VALUES "
                                 "(:c, :s, '[]')"), [{"c": cid, "s": sid} for sid in ids])
            classes.append(cid)
            rosters.append(ids)
    actor = Actor(1, 1, Role.teacher, "t", "teacher", "Teacher", "t@example.com", "Bench Middle", "America/Chicago")
    return actor, classes, rosters


async def peer_save(sessions, actor: Actor, class_id: int, day: date, marks: list[tuple[int, str]]) -> None:  # type: ignore[no-untyped-def]
    """The same work, one INSERT per student."""
    async with sessions() as s:
        row = (await s.execute(select(SchoolClass.name, func.array_agg(Enrollment.student_id))
                               .outerjoin(Enrollment, Enrollment.class_id == SchoolClass.id)
                               .where(SchoolClass.id == class_id, class_visible(actor))
                               .group_by(SchoolClass.id))).first()
        assert row is not None
    async with sessions() as s, s.begin():
        await s.execute(text("INSERT INTO record_submissions (key, kind, staff_id, result) VALUES (:k, 'attendance', 1,"
                             " CAST(:r AS jsonb)) ON CONFLICT (key) DO NOTHING"), {"k": uuid.uuid4().hex, "r": "{}"})
        for sid, status in marks:
            await s.execute(text(
                "INSERT INTO attendance (class_id, student_id, day, status, reason, recorded_by, recorded_at) VALUES "
                "(:c, :s, :d, :st, NULL, 1, now()) ON CONFLICT (class_id, student_id, day) DO UPDATE SET "
                "status = EXCLUDED.status, recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at"),
                {"c": class_id, "s": sid, "d": day, "st": status})
        await s.execute(text("INSERT INTO audit_log (actor_staff_id, actor_tenant_id, actor_aad_object_id, action, "
                             "subject_type, subject_id, via, allowed) VALUES (1, 't', 'teacher', 'attendance.record', "
                             "'student', :s, 'bench', true)"), [{"s": sid} for sid, _ in marks])


async def previous_save(sessions, actor: Actor, class_id: int, day: date, marks: list[tuple[int, str]]) -> None:  # type: ignore[no-untyped-def]
    """The save before this change: read, then one statement, inside BEGIN … COMMIT through the ORM session."""
    async with sessions() as s, s.begin():
        row = (await s.execute(select(SchoolClass.name, func.array_agg(Enrollment.student_id))
                               .outerjoin(Enrollment, Enrollment.class_id == SchoolClass.id)
                               .where(SchoolClass.id == class_id, class_visible(actor))
                               .group_by(SchoolClass.id))).first()
        assert row is not None and set(row[1]) >= {sid for sid, _ in marks}
        counts = {st: sum(1 for _, x in marks if x == st) for st in {x for _, x in marks}}
        await s.execute(PREVIOUS_SAVE, {
            "key": uuid.uuid4().hex, "staff": actor.staff_id, "tenant": actor.tenant_id, "aad": actor.aad_object_id,
            "via": "bench", "class_id": class_id, "day": day,
            "result": json.dumps({"class_name": row[0], "day": day.isoformat(), "counts": counts}),
            "sids": [sid for sid, _ in marks], "statuses": [st for _, st in marks], "reasons": [None for _ in marks]})


PREVIOUS_SAVE = text("""
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


TEAMS_RECOMMENDED_BYTES = 80 * 1024  # Teams: about 100 KB per bot message at most, 80 KB recommended


async def card_bytes(service: AttendanceService, actor: Actor, class_id: int, day: date) -> dict[str, int]:
    """The attendance card for the class (as the bot builds it) in a message activity, serialised: bytes, with the
    bench's names and with every name 40 characters long (a pessimistic roster)."""
    from bot.cards.attendance_form import AttendanceFormState, attendance_form_card

    sheet = await service.sheet(actor, class_text=None, class_id=class_id, day=day,
                                now=datetime.combine(day, datetime.min.time(), UTC), via="bench")
    state = AttendanceFormState.from_sheet(sheet)

    def size(students: list[tuple[int, str]]) -> int:
        state.students = students
        activity = {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": attendance_form_card(state)}]}
        return len(json.dumps(activity, separators=(",", ":"), ensure_ascii=False).encode())

    names = list(state.students)
    return {"card_bytes": size(names), "card_bytes_40_char_names": size([(sid, "N" * 40) for sid, _ in names])}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(url: str, students: int, saves: int) -> dict[str, float | int]:
    engine = make_engine(url, pool_size=4)
    sessions = make_sessionmaker(engine)
    actor, classes, rosters = await setup(sessions, students)
    service = AttendanceService(sessions)
    today = date.today()
    ours: list[float] = []
    peer: list[float] = []
    previous: list[float] = []
    for i in range(saves + 20):  # the first 20 warm all three up
        day = today - timedelta(days=i % 50)  # fresh days first, then corrections of them
        marks = [(sid, STATUSES[(sid + i) % 4]) for sid in rosters[0]]
        draft = validate_attendance({"class_id": classes[0], "day": day.isoformat(), "marks": [
            {"student_id": sid, "status": st} for sid, st in marks]}, today)
        started = time.perf_counter()
        await service.save(actor, draft, uuid.uuid4().hex, via="bench")
        ours.append(time.perf_counter() - started)
        peer_marks = [(sid, STATUSES[(sid + i) % 4]) for sid in rosters[1]]
        started = time.perf_counter()
        await peer_save(sessions, actor, classes[1], day, peer_marks)
        peer.append(time.perf_counter() - started)
        previous_marks = [(sid, STATUSES[(sid + i + 1) % 4]) for sid in rosters[2]]
        started = time.perf_counter()
        await previous_save(sessions, actor, classes[2], day, previous_marks)
        previous.append(time.perf_counter() - started)
    sizes = await card_bytes(service, actor, classes[0], today)
    await engine.dispose()
    ours, peer, previous = ours[20:], peer[20:], previous[20:]
    return {"students": students, "saves": saves,
            "ours_p50_ms": 1000 * statistics.median(ours), "ours_p95_ms": 1000 * pct(ours, 0.95),
            "previous_p50_ms": 1000 * statistics.median(previous), "previous_p95_ms": 1000 * pct(previous, 0.95),
            "peer_p50_ms": 1000 * statistics.median(peer), "peer_p95_ms": 1000 * pct(peer, 0.95),
            "p95_ratio_peer_over_ours": pct(peer, 0.95) / pct(ours, 0.95),
            "p95_ratio_peer_over_previous": pct(peer, 0.95) / pct(previous, 0.95),
            **sizes, "teams_recommended_bytes": TEAMS_RECOMMENDED_BYTES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--saves", type=int, default=200)
    args = parser.parse_args()
    from devtools.embedded_servers import EmbeddedPostgres
    from domain import migrate

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="faraday-bench-")) / "pg", database="bench")
    url = server.start()
    try:
        migrate.upgrade(url)
        result = asyncio.run(run(url, args.students, args.saves))
    finally:
        server.stop()
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}, indent=1))


if __name__ == "__main__":
    main()
