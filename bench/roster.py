"""Roster import at district scale: ours (parse → diff → COPY / batched statements in one transaction) against a
row-at-a-time ORM import (the peer), measured in the same run on the same scratch PostgreSQL.

Run: ``.venv/bin/python -m bench.roster [--students 50000 --classes 2000 --per-student 4] [--peer-fraction 0.1]``.

A deterministic OneRoster 1.1 export is generated (20 schools, one teacher per 5 classes, every class a PE course
so the PE scope keeps it all; each student in ``--per-student`` classes; demographics for every student; no
guardians). Each measurement runs in its own child process (``--child``) so its peak RSS is its own:

- ours, full size: first import into an empty migrated database, then the same files again (the no-op re-import);
- ours and the peer at ``--peer-fraction`` of the size (the peer does ~3 round trips per row: at full size it would
  run for a long time on this machine), on their own empty databases: first import and no-op re-import.

The peer uses the same parser and scope (so parsing is in both figures) and the same schema, then for every school,
staff member, class, student and enrollment: a SELECT by source id (or primary key), an ORM object added and flushed
if missing, attributes compared and assigned if present; one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHOOLS = 20


def generate(folder: Path, students: int, classes: int, per_student: int, seed: int = 20) -> dict[str, int]:
    """Write a OneRoster 1.1 bulk export; returns its row counts."""
    rng = random.Random(seed)  # noqa: S311 - deterministic test data, not secrets
    folder.mkdir(parents=True, exist_ok=True)
    teachers = max(1, classes // 5)

    def write(name: str, header: list[str], rows: Any) -> int:
        count = 0
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle, lineterminator="\r\n")
            out.writerow(header)
            for row in rows:
                out.writerow(row)
                count += 1
        return count

    stamp = "2026-08-01T00:00:00Z"
    write("manifest.csv", ["propertyName", "value"], [
        ["manifest.version", "1.0"], ["oneroster.version", "1.1"], *[[f"file.{n}", "bulk"] for n in (
            "academicSessions", "orgs", "courses", "classes", "users", "enrollments", "demographics")]])
    write("academicSessions.csv", ["sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
                                   "parentSourcedId", "schoolYear"],
          [["y2027", "active", stamp, "2026-2027", "schoolYear", "2026-08-20", "2027-06-10", "", "2027"]])
    write("orgs.csv", ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
          [["d1", "active", stamp, "Bench Unified", "district", "", ""]]
          + [[f"s{i}", "active", stamp, f"Bench School {i}", "school", "", "d1"] for i in range(SCHOOLS)])
    write("courses.csv", ["sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
                          "grades", "orgSourcedId", "subjects"],
          [[f"c{g}", "active", stamp, "y2027", f"Physical Education {g}", f"PE{g}", f"{g:02d}", "d1",
            "Physical Education"] for g in range(6, 13)])
    write("classes.csv", ["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
                          "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "periods"],
          ([f"k{i}", "active", stamp, f"PE {6 + i % 7} P{1 + i % 8}", f"{6 + i % 7:02d}", f"c{6 + i % 7}", f"PE-{i}",
            "scheduled", f"Gym {i % 3}", f"s{i % SCHOOLS}", "y2027", "", str(1 + i % 8)] for i in range(classes)))
    user_header = ["sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
                   "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
                   "agentSourcedIds", "grades", "password"]
    users = [[f"t{i}", "active", stamp, "true", f"s{(i * 5) % SCHOOLS}", "teacher", f"t{i}@bench.example", "",
              f"Teacher{i}", "Bench", "", "", f"t{i}@bench.example", "", "", "", "", ""] for i in range(teachers)]
    write("users.csv", user_header, users + [
        [f"u{i}", "active", stamp, "true", f"s{i % SCHOOLS}", "student", f"u{i}@students.bench.example", "",
         f"Given{i}", f"Family{i % 997}", "", f"B{i:07d}", "", "", "", "", f"{6 + i % 7:02d}", ""]
        for i in range(students)])
    school_classes = [[k for k in range(classes) if k % SCHOOLS == s] for s in range(SCHOOLS)]

    def enrollment_rows() -> Any:
        for k in range(classes):
            yield [f"et{k}", "active", stamp, f"k{k}", f"s{k % SCHOOLS}", f"t{k // 5}", "teacher", "true", "", ""]
        for i in range(students):
            for k in rng.sample(school_classes[i % SCHOOLS], per_student):
                yield [f"e{i}-{k}", "active", stamp, f"k{k}", f"s{i % SCHOOLS}", f"u{i}", "student", "false", "", ""]

    enrollments = write("enrollments.csv", ["sourcedId", "status", "dateLastModified", "classSourcedId",
                                            "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate",
                                            "endDate"], enrollment_rows())
    write("demographics.csv", ["sourcedId", "status", "dateLastModified", "birthDate", "sex"],
          ([f"u{i}", "active", stamp, f"{2008 + i % 7}-{1 + i % 12:02d}-{1 + i % 28:02d}", ("female", "male")[i % 2]]
           for i in range(students)))
    return {"students": students, "classes": classes, "teachers": teachers, "enrollments": enrollments - classes}


# --- the two importers (each run in a child process) ------------------------------------------------------------------
async def ours(url: str, path: Path) -> dict[str, Any]:
    from domain.db import make_engine, make_sessionmaker
    from domain.roster.service import import_roster
    from domain.settings import Settings

    engine = make_engine(url, pool_size=2)
    settings = Settings(database_url=url)
    try:
        times = []
        for _ in range(2):
            started = time.perf_counter()
            report = await import_roster(make_sessionmaker(engine), settings, path, dry_run=False, all_classes=False)
            times.append(time.perf_counter() - started)
            assert not report.errors, report.errors[:3]
        assert not report.changed, "the second import must be a no-op"
        return {"first_s": times[0], "noop_s": times[1],
                "created": {k: c.created for k, c in (await _first_counts(engine)).items()}}
    finally:
        await engine.dispose()


async def _first_counts(engine: Any) -> dict[str, Any]:
    from sqlalchemy import text

    from domain.roster.report import Counts

    async with engine.connect() as connection:
        counts = {}
        for table in ("schools", "staff", "classes", "students", "enrollments"):
            count = await connection.execute(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - fixed names
            counts[table] = Counts(created=count.scalar())
        return counts


async def peer(url: str, path: Path) -> dict[str, Any]:
    from domain.db import make_engine, make_sessionmaker
    from domain.roster.load import load
    from domain.roster.scope import narrow
    from domain.settings import Settings

    engine = make_engine(url, pool_size=2)
    sessions = make_sessionmaker(engine)
    pattern = Settings().roster_pe_pattern
    try:
        times = []
        for _ in range(2):
            started = time.perf_counter()
            roster = narrow(load(path), pattern)
            await _row_at_a_time(sessions, roster)
            times.append(time.perf_counter() - started)
        return {"first_s": times[0], "noop_s": times[1],
                "created": {k: c.created for k, c in (await _first_counts(engine)).items()}}
    finally:
        await engine.dispose()


async def _row_at_a_time(sessions: Any, roster: Any) -> None:
    from sqlalchemy import select

    from domain.models import District, Enrollment, Role, School, SchoolClass, Staff, Student
    from domain.roster.sync import school_code, subject_of

    def assign(obj: Any, **values: Any) -> None:
        for key, value in values.items():
            if getattr(obj, key) != value:
                setattr(obj, key, value)

    async with sessions() as s, s.begin():
        district = await s.scalar(select(District).where(District.name == roster.district_name))
        if district is None:
            district = District(name=roster.district_name)
            s.add(district)
            await s.flush()
        ids: dict[str, dict[str, int]] = {"schools": {}, "staff": {}, "classes": {}, "students": {}}
        for sid, r in roster.schools.items():
            row = await s.scalar(select(School).where(School.source_id == sid))
            if row is None:
                row = School(district_id=district.id, name=r.name, code=school_code(sid), grade_low=0, grade_high=12,
                             source_id=sid, time_zone="America/Chicago", supervision_ratio=30)
                s.add(row)
                await s.flush()
            assign(row, name=r.name)
            ids["schools"][sid] = row.id
        for sid, r in roster.staff.items():
            row = await s.scalar(select(Staff).where(Staff.source_id == sid))
            values = dict(school_id=ids["schools"][r.school_source_id], display_name=r.display_name,
                          email=r.email.lower() if r.email else None, sis_username=r.username, role=Role(r.role),
                          active=True)
            if row is None:
                row = Staff(source_id=sid, role_locked=False, **values)
                s.add(row)
                await s.flush()
            assign(row, **values)
            ids["staff"][sid] = row.id
        for sid, r in roster.classes.items():
            row = await s.scalar(select(SchoolClass).where(SchoolClass.source_id == sid))
            values = dict(school_id=ids["schools"][r.school_source_id],
                          teacher_id=ids["staff"].get(next(iter(r.teacher_source_ids), ""), None),
                          name=r.title[:120], subject=subject_of(r), grade=r.grade if r.grade is not None else 13,
                          period=r.period[:20], location=r.location[:120], active=True)
            if row is None:
                row = SchoolClass(source_id=sid, meeting_days=[0, 1, 2, 3, 4], minutes=50, **values)
                s.add(row)
                await s.flush()
            assign(row, **values)
            ids["classes"][sid] = row.id
        for sid, r in roster.students.items():
            row = await s.scalar(select(Student).where(Student.source_id == sid))
            values = dict(school_id=ids["schools"][r.school_source_id], first_name=r.given_name,
                          last_name=r.family_name, student_number=r.student_number,
                          grade=r.grade if r.grade is not None else 13, date_of_birth=r.date_of_birth,
                          sex=r.sex or "X", active=True)
            if row is None:
                row = Student(source_id=sid, directory_opt_out=False, medical_flags=[], adaptations=[], **values)
                s.add(row)
                await s.flush()
            assign(row, **values)
            ids["students"][sid] = row.id
        for class_sid, student_sid in sorted(roster.enrollments):
            key = (ids["classes"][class_sid], ids["students"][student_sid])
            if await s.get(Enrollment, key) is None:
                s.add(Enrollment(class_id=key[0], student_id=key[1], keep_apart_from=[]))
                await s.flush()


def child(kind: str, url: str, path: Path) -> None:
    result = asyncio.run(ours(url, path) if kind == "ours" else peer(url, path))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# --- the run ----------------------------------------------------------------------------------------------------------
def run_child(kind: str, url: str, path: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.roster", "--child", kind, "--url", url, "--path", str(path)]
    done = subprocess.run(command,  # noqa: S603 - this module, with arguments made here
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ}, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--classes", type=int, default=2_000)
    parser.add_argument("--per-student", type=int, default=4)
    parser.add_argument("--peer-fraction", type=float, default=0.1)
    parser.add_argument("--child", choices=("ours", "peer"))
    parser.add_argument("--url")
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.path)
        return

    from devtools.embedded_servers import EmbeddedPostgres
    from domain import migrate

    with tempfile.TemporaryDirectory(prefix="faraday-roster-bench-") as scratch:
        root = Path(scratch)
        full = generate(root / "full", args.students, args.classes, args.per_student)
        small_students = max(50, int(args.students * args.peer_fraction))
        small_classes = max(SCHOOLS * args.per_student, int(args.classes * args.peer_fraction))
        small = generate(root / "small", small_students, small_classes, args.per_student)
        server = EmbeddedPostgres(root / "pg", database="bench_admin")
        server.start()
        try:
            urls = {}
            for name in ("ours_full", "ours_small", "peer_small"):
                server.psql(f"CREATE DATABASE {name}")
                urls[name] = server._server.get_uri(name)
                migrate.upgrade(urls[name])
            results = {
                "ours_full": run_child("ours", urls["ours_full"], root / "full"),
                "ours_small": run_child("ours", urls["ours_small"], root / "small"),
                "peer_small": run_child("peer", urls["peer_small"], root / "small"),
            }
        finally:
            server.stop()
    assert results["ours_small"]["created"] == results["peer_small"]["created"], "both importers wrote the same rows"
    print(f"district (full): {full}")
    print(f"district (peer size, {args.peer_fraction:g}×): {small}")
    print(f"{'':<28}{'first import':>14}{'no-op re-import':>17}{'peak RSS':>11}")
    for name, label in (("ours_full", "ours, full size"), ("ours_small", "ours, peer size"),
                        ("peer_small", "row-at-a-time ORM, peer size")):
        r = results[name]
        print(f"{label:<28}{r['first_s']:>12.1f} s{r['noop_s']:>15.1f} s{r['peak_rss_mb']:>8.0f} MB")
    first = results["peer_small"]["first_s"] / results["ours_small"]["first_s"]
    noop = results["peer_small"]["noop_s"] / results["ours_small"]["noop_s"]
    print(f"peer / ours at the same size: first import {first:.1f}×, no-op re-import {noop:.1f}×")
    print(f"targets (issue #20, full size): first import ≤ 60 s: {results['ours_full']['first_s']:.1f} s; "
          f"no-op ≤ 15 s: {results['ours_full']['noop_s']:.1f} s")


if __name__ == "__main__":
    main()
