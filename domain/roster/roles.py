"""Staff roles from a small CSV (``python -m bot roster roles FILE``): the roles roster files don't carry (nurse,
coach, more admins), for many people at once. The file::

    email,role
    jokafor@lakeview.example,nurse
    CBeane,coach

``email`` (or ``upn``, ``username``) names an active staff member by e-mail or sign-in name (an SDS username also
with ``ROSTER_UPN_DOMAIN``); ``role`` is teacher, coach, nurse or admin. Columns match case-insensitively; BOM,
CRLF, quoted fields, ``#`` comment lines and blank lines are fine; other columns are ignored.

Validated whole first: every problem is reported as {file, line, message} and nothing changes unless every row is
good. Then one transaction: each changed role is set and locked (a later roster import keeps it, as with
``set role``), and audited as ``staff.role.set`` by the operator (``via`` ``cli:roster_roles``, the file and line in
the reason)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.db import driver_connection
from domain.models import Role
from domain.roster.model import RosterError

VIA = "cli:roster_roles"
PERSON_COLUMNS = ("email", "upn", "userprincipalname", "username")
MAX_BYTES = 5 * 1024 * 1024
MAX_NAME = 254
ROLES = tuple(r.value for r in Role)


@dataclass(frozen=True, slots=True)
class RoleRow:
    line: int
    person: str  # lower-cased e-mail or sign-in name
    role: str


@dataclass(slots=True)
class RolesReport:
    file: str
    dry_run: bool
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (display name, old role, new role)
    unchanged: int = 0
    errors: list[RosterError] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"file": self.file, "dry_run": self.dry_run, "changed": len(self.changed),
                "unchanged": self.unchanged, "errors": [e.as_dict() for e in self.errors]}

    def as_text(self) -> str:
        if self.errors:
            lines = [f"{self.file}: {len(self.errors)} error(s); nothing was changed."]
            lines += [f"  {e.file}{'' if e.line is None else f' line {e.line}'}: {e.message}" for e in self.errors]
            return "\n".join(lines)
        verb = "would change" if self.dry_run else "changed"
        head = f"{self.file}: {len(self.changed)} role(s) {verb}, {self.unchanged} already as the file says."
        return "\n".join([head, *(f"  {name}: {old} -> {new}" for name, old, new in self.changed)])


def parse(name: str, data: bytes, errors: list[RosterError]) -> list[RoleRow]:
    """The file's rows; every problem appended to ``errors`` (file, line, message)."""
    if len(data) > MAX_BYTES:
        errors.append(RosterError(name, None, f"larger than {MAX_BYTES // (1024 * 1024)} MB"))
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        errors.append(RosterError(name, None, f"not UTF-8 text (byte {exc.start})"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[RoleRow] = []
    header: list[str] | None = None
    person_at = role_at = -1
    first_line: dict[str, int] = {}
    line = 0
    try:
        for values in reader:
            line = reader.line_num
            if not values or all(not v.strip() for v in values) or values[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [v.strip().lower() for v in values]
                person_at = next((header.index(c) for c in PERSON_COLUMNS if c in header), -1)
                role_at = header.index("role") if "role" in header else -1
                if person_at < 0 or role_at < 0:
                    missing = [what for what, at in (("email (or upn, username)", person_at), ("role", role_at))
                               if at < 0]
                    errors.append(RosterError(name, line, "missing required column(s): " + ", ".join(missing)))
                    return []
                continue
            person = values[person_at].strip().lower() if person_at < len(values) else ""
            role = values[role_at].strip().lower() if role_at < len(values) else ""
            problem = None
            if not person:
                problem = f"{header[person_at]} is empty"
            elif len(person) > MAX_NAME:
                problem = f"{header[person_at]} is longer than {MAX_NAME} characters"
            elif role not in ROLES:
                problem = f"role {role[:40]!r} is not one of {', '.join(ROLES)}"
            elif person in first_line:
                problem = f"{person!r} is already on line {first_line[person]}"
            if problem:
                errors.append(RosterError(name, line, problem))
                continue
            first_line[person] = line
            rows.append(RoleRow(line, person, role))
    except csv.Error as exc:
        errors.append(RosterError(name, line + 1, f"unreadable CSV: {exc}"))  # where the bad row starts
        return []
    if header is None:
        errors.append(RosterError(name, 1, "the file is empty (no header row)"))
    elif not rows and not errors:
        errors.append(RosterError(name, None, "no rows after the header"))
    return rows


# Active staff whose e-mail, sign-in name or sign-in name + the UPN domain is one of the file's names.
_MATCH = """
SELECT p.person, s.id, s.display_name, s.role::text AS role, s.role_locked
FROM unnest($1::text[]) AS p(person)
JOIN staff s ON s.active AND (lower(s.email) = p.person OR lower(s.sis_username) = p.person
                              OR ($2 <> '' AND lower(s.sis_username) || '@' || $2 = p.person))
ORDER BY p.person, s.id
FOR UPDATE OF s
"""
_AUDIT = """
INSERT INTO audit_log (actor_staff_id, actor_tenant_id, actor_aad_object_id, action, subject_type, subject_id, via,
                       allowed, reason)
SELECT NULL, '', 'operator', 'staff.role.set', 'staff', t.id, $3, true, t.reason
FROM unnest($1::bigint[], $2::text[]) AS t(id, reason)
"""


async def apply_roles(
    sessions: async_sessionmaker[AsyncSession], path: Path, *, dry_run: bool, upn_domain: str = "",
) -> RolesReport:
    """Validate the whole file, then set every role in one transaction (or, with ``dry_run``, only report)."""
    name = path.name
    report = RolesReport(file=name, dry_run=dry_run)
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.errors.append(RosterError(name, None, f"cannot be read ({type(exc).__name__})"))
        return report
    rows = parse(name, data, report.errors)
    if report.errors:
        return report
    domain = upn_domain.strip().lstrip("@").lower()
    async with driver_connection(sessions) as connection, connection.transaction():
        found: dict[str, list[asyncpg.Record]] = {}
        for record in await connection.fetch(_MATCH, [r.person for r in rows], domain):
            found.setdefault(record["person"], []).append(record)
        changes: list[tuple[int, str, str, str, str]] = []  # (staff id, name, old, new, audit reason)
        claimed: dict[int, int] = {}
        for row in rows:
            matches = found.get(row.person, [])
            if not matches:
                report.errors.append(RosterError(name, row.line, f"no active staff member with the e-mail or "
                                                                 f"sign-in name {row.person!r}"))
                continue
            if len(matches) > 1:
                report.errors.append(RosterError(name, row.line, f"{row.person!r} matches {len(matches)} staff "
                                                                 "members; use their e-mail"))
                continue
            staff = matches[0]
            if staff["id"] in claimed:
                report.errors.append(RosterError(name, row.line, f"the same person as line {claimed[staff['id']]}"))
                continue
            claimed[staff["id"]] = row.line
            if staff["role"] == row.role and staff["role_locked"]:
                report.unchanged += 1
                continue
            reason = f"{staff['role']} -> {row.role} ({name[:120]} line {row.line})"
            changes.append((staff["id"], staff["display_name"], staff["role"], row.role, reason[:200]))
        if report.errors or dry_run or not changes:
            report.changed = [(n, old, new) for _, n, old, new, _ in changes] if not report.errors else []
            return report  # leaving the block without an exception commits, but nothing was written
        await connection.executemany(
            "UPDATE staff SET role = $2::staff_role, role_locked = true WHERE id = $1",
            [(staff_id, new) for staff_id, _, _, new, _ in changes])
        await connection.execute(_AUDIT, [c[0] for c in changes], [c[4] for c in changes], VIA)
        report.changed = [(n, old, new) for _, n, old, new, _ in changes]
    return report
