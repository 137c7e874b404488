"""Sync a normalised roster into the database: diff by source id, apply in ONE transaction (or roll it back for a
dry run). A second import of the same roster changes nothing. Who left is deactivated, never deleted; a class that
left is retired; a school that left is deactivated with everyone imported there; enrollments and teachers follow the
roster.

Scope of "left": every row with a ``source_id`` is the roster's; rows without one (the demo seed, staff added by
hand) are never touched, except that a roster row adopts an unsourced staff row with the same e-mail, or an
unsourced student with the same student number, instead of duplicating it. One roster source per database."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import driver_connection
from domain.roster.model import ClassRecord, Roster, RosterError, RosterInvalid
from domain.roster.report import Counts, ImportReport

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
LOCK_KEY = 0x526F73746572  # pg_advisory_xact_lock: one roster import at a time
UNGRADED = 13


@dataclass(frozen=True, slots=True)
class SyncOptions:
    district_name: str = "District"
    time_zone: str = "America/Chicago"
    source_name: str = ""
    scope: str = "all classes"


class _DryRun(Exception):
    pass


async def sync(
    sessions: async_sessionmaker[AsyncSession], roster: Roster, options: SyncOptions, *, dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Apply ``roster`` (already narrowed to scope) and report; with ``dry_run`` the same work is done and rolled
    back. Raises ``RosterInvalid`` when the database refuses the roster (a conflict); nothing is then written."""
    report = ImportReport(format=roster.format, dry_run=dry_run, scope=options.scope)
    step = progress or (lambda name, done, total: None)
    async with driver_connection(sessions) as connection:
        try:
            async with connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
                await _Apply(connection, roster, options, report, step).run()
                if dry_run:
                    raise _DryRun
                await connection.execute(
                    "INSERT INTO roster_imports (format, source, scope, counts) VALUES ($1, $2, $3, $4::jsonb)",
                    roster.format, options.source_name[:300], options.scope, _json(report.as_json()["counts"]),
                )
        except _DryRun:
            pass
        except asyncpg.IntegrityConstraintViolationError as exc:
            # e.g. an e-mail or student number already used by another row: name the constraint, not the value
            constraint = getattr(exc, "constraint_name", None) or type(exc).__name__
            raise RosterInvalid(roster.format, [RosterError(
                "database", None, f"the roster conflicts with existing data ({constraint}); nothing was written"
            )]) from None
        except asyncpg.DataError as exc:  # a value the schema cannot hold (the parsers bound lengths; a guard)
            raise RosterInvalid(roster.format, [RosterError(
                "database", None, f"a value does not fit the database ({type(exc).__name__}); nothing was written"
            )]) from None
    log.info("roster %s %s: %s", roster.format, "dry run" if dry_run else "applied",
             {k: c.as_dict() for k, c in report.counts.items()})
    return report


def _json(value: Any) -> str:
    return json.dumps(value)


def school_code(source_id: str) -> str:
    """A stable, unique-enough short code for an imported school (``schools.code`` is 20 characters)."""
    return "R" + hashlib.sha1(source_id.encode(), usedforsecurity=False).hexdigest()[:11].upper()


_SUBJECTS = (
    (re.compile(r"driver", re.I), "Drivers Ed"),
    (re.compile(r"adapt", re.I), "Adapted PE"),
    (re.compile(r"health|wellness", re.I), "Health"),
    (re.compile(r"physical|phys\.?\s*ed|\bp\.?\s?e\b|gym|fitness|athletic", re.I), "PE"),
)


def subject_of(record: ClassRecord) -> str:
    """Faraday's subject label (PE, Health, Drivers Ed, Adapted PE) or the file's own subject, shortened."""
    text = " ".join((record.subject, record.course_title, record.title))
    for pattern, label in _SUBJECTS:
        if pattern.search(text):
            return label
    return (record.subject or record.course_title or "Other")[:40]


class _Apply:
    def __init__(self, connection: asyncpg.Connection, roster: Roster, options: SyncOptions, report: ImportReport,
                 progress: Progress) -> None:
        self.db = connection
        self.roster = roster
        self.options = options
        self.counts = report.counts
        self.progress = progress
        self.school_ids: dict[str, int] = {}
        self.staff_ids: dict[str, int] = {}
        self.class_ids: dict[str, int] = {}
        self.student_ids: dict[str, int] = {}
        self.gone_school_ids: set[int] = set()

    async def run(self) -> None:
        steps = (self.schools, self.staff, self.classes, self.students, self.enrollments, self.guardians)
        for done, step in enumerate(steps):
            self.progress("sync", done, len(steps))
            await step()
        self.progress("sync", len(steps), len(steps))

    async def _district_id(self) -> int:
        name = (self.roster.district_name or self.options.district_name)[:200]
        found = await self.db.fetchval("SELECT id FROM districts WHERE name = $1", name)
        if found is None:
            found = await self.db.fetchval("INSERT INTO districts (name) VALUES ($1) RETURNING id", name)
        return int(found)

    async def schools(self) -> None:
        counts = self.counts["schools"]
        existing = {r["source_id"]: r for r in await self.db.fetch(
            "SELECT id, source_id, name, grade_low, grade_high, active FROM schools WHERE source_id IS NOT NULL")}
        grades: dict[str, list[int]] = {}
        for student in self.roster.students.values():
            if student.grade is not None and student.grade != UNGRADED:
                grades.setdefault(student.school_source_id, []).append(student.grade)
        district_id: int | None = None
        for sid, record in self.roster.schools.items():
            seen = grades.get(sid) or [0, 12]
            low = record.grade_low if record.grade_low is not None else min(seen)
            high = record.grade_high if record.grade_high is not None else max(seen)
            want = (record.name[:200], low, high, True)
            row = existing.get(sid)
            if row is None:
                district_id = district_id or await self._district_id()
                self.school_ids[sid] = await self.db.fetchval(
                    "INSERT INTO schools (district_id, name, code, time_zone, grade_low, grade_high, supervision_ratio,"
                    " source_id) VALUES ($1, $2, $3, $4, $5, $6, 30, $7) RETURNING id",
                    district_id, want[0], school_code(sid), self.options.time_zone, low, high, sid)
                counts.created += 1
                continue
            self.school_ids[sid] = row["id"]
            if (row["name"], row["grade_low"], row["grade_high"], row["active"]) == want:
                counts.unchanged += 1
            else:  # a school that came back is active again
                await self.db.execute("UPDATE schools SET name = $2, grade_low = $3, grade_high = $4, active = $5 "
                                      "WHERE id = $1", row["id"], *want)
                counts.updated += 1
        # A school that left the roster is deactivated like a class, never deleted. Its imported classes, students
        # and staff have left with it (the roster names nobody there), so the later steps deactivate them; staff
        # with an admin-set role, whom imports otherwise keep, go too: their school is gone.
        gone = [r["id"] for sid, r in existing.items() if sid not in self.roster.schools and r["active"]]
        if gone:
            await self.db.execute("UPDATE schools SET active = false WHERE id = ANY($1::bigint[])", gone)
        counts.deactivated += len(gone)
        self.gone_school_ids = set(gone)

    async def staff(self) -> None:
        counts = self.counts["staff"]
        existing = {r["source_id"]: r for r in await self.db.fetch(
            "SELECT id, source_id, school_id, display_name, email, sis_username, role::text AS role, active, "
            "role_locked FROM staff WHERE source_id IS NOT NULL")}
        wanted_emails = [s.email.lower() for s in self.roster.staff.values() if s.email]
        unsourced = {r["email"]: r["id"] for r in await self.db.fetch(
            "SELECT id, email FROM staff WHERE source_id IS NULL AND email = ANY($1::text[])", wanted_emails)}
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for sid, record in self.roster.staff.items():
            email = record.email.lower()[:254] if record.email else None
            school_id = self.school_ids[record.school_source_id]
            row = existing.get(sid)
            if row is None and email in unsourced:  # a row added by hand before the first import: adopt it
                await self.db.execute("UPDATE staff SET source_id = $2 WHERE id = $1", unsourced[email], sid)
                row = await self.db.fetchrow(
                    "SELECT id, source_id, school_id, display_name, email, sis_username, role::text AS role, active, "
                    "role_locked FROM staff WHERE id = $1", unsourced[email])
            if row is None:
                inserts.append((school_id, email, record.display_name[:200], record.role,
                                (record.username or None) and record.username[:254], sid))
                continue
            self.staff_ids[sid] = row["id"]
            role = row["role"] if row["role_locked"] else record.role
            want = (school_id, record.display_name[:200], email, (record.username or None) and record.username[:254],
                    role, True)
            have = (row["school_id"], row["display_name"], row["email"], row["sis_username"], row["role"],
                    row["active"])
            if want == have:
                counts.unchanged += 1
            else:
                updates.append((row["id"], *want))
        if updates:
            await self.db.executemany(
                "UPDATE staff SET school_id = $2, display_name = $3, email = $4, sis_username = $5, "
                "role = $6::staff_role, active = $7 WHERE id = $1", updates)
            counts.updated += len(updates)
        if inserts:
            await self.db.executemany(
                "INSERT INTO staff (school_id, email, display_name, role, sis_username, source_id, active, role_locked)"
                " VALUES ($1, $2, $3, $4::staff_role, $5, $6, true, false)", inserts)
            counts.created += len(inserts)
            for row in await self.db.fetch("SELECT id, source_id FROM staff WHERE source_id = ANY($1::text[])",
                                           [i[-1] for i in inserts]):
                self.staff_ids[row["source_id"]] = row["id"]
        gone = [r["id"] for sid, r in existing.items() if sid not in self.roster.staff and r["active"]
                and (not r["role_locked"] or r["school_id"] in self.gone_school_ids)]
        if gone:
            await self.db.execute("UPDATE staff SET active = false WHERE id = ANY($1::bigint[])", gone)
        counts.deactivated += len(gone)

    async def classes(self) -> None:
        counts = self.counts["classes"]
        existing = {r["source_id"]: r for r in await self.db.fetch(
            "SELECT id, source_id, school_id, teacher_id, name, subject, grade, period, location, active, term_name, "
            "term_starts_on, term_ends_on FROM classes WHERE source_id IS NOT NULL")}
        student_grades: dict[str, Counter[int]] = {}  # only for classes whose export gives no grade
        ungraded = {sid for sid, c in self.roster.classes.items() if c.grade is None}
        if ungraded:
            for class_id, student in self.roster.enrollments:
                grade = self.roster.students[student].grade
                if class_id in ungraded and grade is not None:
                    found = student_grades.get(class_id)
                    if found is None:
                        found = student_grades[class_id] = Counter()
                    found[grade] += 1
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for sid, record in self.roster.classes.items():
            teacher = next((self.staff_ids[t] for t in record.teacher_source_ids if t in self.staff_ids), None)
            grade = record.grade
            if grade is None:
                common = student_grades.get(sid)  # the most common grade of its students, ties to the lowest
                grade = min(common.items(), key=lambda item: (-item[1], item[0]))[0] if common else UNGRADED
            title = (record.title or record.course_title or sid)[:120]
            term = record.term
            want = (self.school_ids[record.school_source_id], teacher, title, subject_of(record), grade,
                    record.period[:20], record.location[:120], True, term and term.name[:120],
                    term and term.starts_on, term and term.ends_on)
            row = existing.get(sid)
            if row is None:
                inserts.append((*want, sid))
                continue
            self.class_ids[sid] = row["id"]
            have = (row["school_id"], row["teacher_id"], row["name"], row["subject"], row["grade"], row["period"],
                    row["location"], row["active"], row["term_name"], row["term_starts_on"], row["term_ends_on"])
            if want == have:
                counts.unchanged += 1
            else:
                updates.append((row["id"], *want))
        if updates:
            await self.db.executemany(
                "UPDATE classes SET school_id = $2, teacher_id = $3, name = $4, subject = $5, grade = $6, period = $7,"
                " location = $8, active = $9, term_name = $10, term_starts_on = $11, term_ends_on = $12 WHERE id = $1",
                updates)
            counts.updated += len(updates)
        if inserts:
            await self.db.executemany(
                "INSERT INTO classes (school_id, teacher_id, name, subject, grade, period, location, active, term_name,"
                " term_starts_on, term_ends_on, source_id, meeting_days, minutes) VALUES ($1, $2, $3, $4, $5, $6, $7,"
                " $8, $9, $10, $11, $12, '[0, 1, 2, 3, 4]'::jsonb, 50)", inserts)
            counts.created += len(inserts)
            for row in await self.db.fetch("SELECT id, source_id FROM classes WHERE source_id = ANY($1::text[])",
                                           [i[-1] for i in inserts]):
                self.class_ids[row["source_id"]] = row["id"]
        gone = [r["id"] for sid, r in existing.items() if sid not in self.roster.classes and r["active"]]
        if gone:
            await self.db.execute("UPDATE classes SET active = false WHERE id = ANY($1::bigint[])", gone)
        counts.deactivated += len(gone)

    async def students(self) -> None:
        counts = self.counts["students"]
        existing = {r["source_id"]: r for r in await self.db.fetch(
            "SELECT id, source_id, school_id, first_name, last_name, preferred_name, student_number, grade, "
            "date_of_birth, sex, active FROM students WHERE source_id IS NOT NULL")}
        first_class_grade: dict[str, int] = {}  # only for students whose export gives no grade
        gradeless = {sid for sid, s in self.roster.students.items() if s.grade is None}
        for class_id, student in sorted(e for e in self.roster.enrollments if e[1] in gradeless):  # sorted: stable
            grade_of_class = self.roster.classes[class_id].grade
            if grade_of_class is not None:
                first_class_grade.setdefault(student, grade_of_class)
        new_numbers = [s.student_number[:64] for k, s in self.roster.students.items() if k not in existing]
        unsourced = {r["student_number"]: r["id"] for r in await self.db.fetch(
            "SELECT id, student_number FROM students WHERE source_id IS NULL AND student_number = ANY($1::text[])",
            new_numbers)} if new_numbers else {}
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for sid, record in self.roster.students.items():
            grade = record.grade if record.grade is not None else first_class_grade.get(sid, UNGRADED)
            number = record.student_number[:64]
            want = (self.school_ids[record.school_source_id], record.given_name[:80], record.family_name[:80],
                    (record.preferred_name or None) and record.preferred_name[:80], number, grade,
                    record.date_of_birth, record.sex or "X", True)
            row = existing.get(sid)
            if row is None and number in unsourced:
                await self.db.execute("UPDATE students SET source_id = $2 WHERE id = $1", unsourced[number], sid)
                row = await self.db.fetchrow(
                    "SELECT id, source_id, school_id, first_name, last_name, preferred_name, student_number, grade, "
                    "date_of_birth, sex, active FROM students WHERE id = $1", unsourced[number])
            if row is None:
                inserts.append((*want, sid))
                continue
            self.student_ids[sid] = row["id"]
            have = (row["school_id"], row["first_name"], row["last_name"], row["preferred_name"], row["student_number"],
                    row["grade"], row["date_of_birth"], row["sex"], row["active"])
            if want == have:
                counts.unchanged += 1
            else:
                updates.append((row["id"], *want))
        if updates:
            await self.db.executemany(
                "UPDATE students SET school_id = $2, first_name = $3, last_name = $4, preferred_name = $5, "
                "student_number = $6, grade = $7, date_of_birth = $8, sex = $9, active = $10 WHERE id = $1", updates)
            counts.updated += len(updates)
        if inserts:
            self.progress("students", 0, len(inserts))
            await self.db.copy_records_to_table(
                "students",
                columns=["school_id", "first_name", "last_name", "preferred_name", "student_number", "grade",
                         "date_of_birth", "sex", "active", "source_id", "directory_opt_out", "medical_flags",
                         "adaptations"],
                records=[(*i, False, "[]", "[]") for i in inserts],
            )
            counts.created += len(inserts)
            self.progress("students", len(inserts), len(inserts))
            for row in await self.db.fetch("SELECT id, source_id FROM students WHERE source_id = ANY($1::text[])",
                                           [i[-1] for i in inserts]):
                self.student_ids[row["source_id"]] = row["id"]
        gone = [r["id"] for sid, r in existing.items() if sid not in self.roster.students and r["active"]]
        if gone:
            await self.db.execute("UPDATE students SET active = false WHERE id = ANY($1::bigint[])", gone)
        counts.deactivated += len(gone)

    async def enrollments(self) -> None:
        """Pairs of a roster class and a roster student follow the roster; pairs whose class was retired or whose
        student left are kept as the record of who was in the class."""
        counts = self.counts["enrollments"]
        existing = {(r[0], r[1]) for r in await self.db.fetch(
            "SELECT e.class_id, e.student_id FROM enrollments e JOIN classes c ON c.id = e.class_id "
            "WHERE c.source_id IS NOT NULL")}
        wanted = {(self.class_ids[c], self.student_ids[s]) for c, s in self.roster.enrollments}
        new = wanted - existing
        live_classes = set(self.class_ids.values())
        live_students = set(self.student_ids.values())
        gone = [(c, s) for c, s in existing - wanted if c in live_classes and s in live_students]
        counts.unchanged += len(wanted & existing)
        if new:
            self.progress("enrollments", 0, len(new))
            await self.db.copy_records_to_table(
                "enrollments", columns=["class_id", "student_id", "keep_apart_from"],
                records=[(c, s, "[]") for c, s in new])
            self.progress("enrollments", len(new), len(new))
            counts.created += len(new)
        if gone:
            await self.db.execute(
                "DELETE FROM enrollments e USING unnest($1::bigint[], $2::bigint[]) AS g(class_id, student_id) "
                "WHERE e.class_id = g.class_id AND e.student_id = g.student_id",
                [c for c, _ in gone], [s for _, s in gone])
            counts.deactivated += len(gone)

    async def guardians(self) -> None:
        """Contacts follow the roster for its students (a contact the SIS dropped is removed: a stale phone number
        is worse than none); a student who left keeps theirs. Language and contact permission change only when the
        export carries them."""
        counts = self.counts["guardians"]
        existing = {(r["student_id"], r["source_id"]): r for r in await self.db.fetch(
            "SELECT id, student_id, source_id, name, relationship_to_student, phone, email, priority, "
            "preferred_language, contact_allowed FROM guardians WHERE source_id IS NOT NULL")}
        priority: Counter[int] = Counter()
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        wanted: set[tuple[int, str]] = set()
        for record in self.roster.guardians.values():
            student_id = self.student_ids[record.student_source_id]
            priority[student_id] += 1
            key = (student_id, record.source_id)
            wanted.add(key)
            want = (record.name[:160], record.relationship[:40], (record.phone or None) and record.phone[:40],
                    (record.email or None) and record.email.lower()[:254], priority[student_id],
                    record.language and record.language[:35], record.contact_allowed)
            row = existing.get(key)
            if row is None:
                inserts.append((student_id, record.source_id, *want))
            elif (row["name"], row["relationship_to_student"], row["phone"], row["email"], row["priority"],
                  record.language and row["preferred_language"],  # no language in the file: keep ours
                  None if record.contact_allowed is None else row["contact_allowed"]) == want:  # nor permission
                counts.unchanged += 1
            else:
                updates.append((row["id"], *want))
        if updates:
            await self.db.executemany(
                "UPDATE guardians SET name = $2, relationship_to_student = $3, phone = $4, email = $5, priority = $6, "
                "preferred_language = COALESCE($7, preferred_language), "
                "contact_allowed = COALESCE($8::boolean, contact_allowed) WHERE id = $1", updates)
            counts.updated += len(updates)
        if inserts:
            await self.db.executemany(
                "INSERT INTO guardians (student_id, source_id, name, relationship_to_student, phone, email, priority,"
                " preferred_language, contact_allowed, is_emergency_contact)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9::boolean, true), false)", inserts)
            counts.created += len(inserts)
        live_students = set(self.student_ids.values())
        gone = [r["id"] for key, r in existing.items() if key not in wanted and key[0] in live_students]
        if gone:
            await self.db.execute("DELETE FROM guardians WHERE id = ANY($1::bigint[])", gone)
        counts.deactivated += len(gone)


__all__ = ["Counts", "SyncOptions", "school_code", "subject_of", "sync"]
