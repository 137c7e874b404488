"""OneRoster 1.1 / 1.2 CSV (``manifest.csv`` + orgs, users, classes, courses, enrollments, demographics; 1.2 roles)
and Microsoft SDS v2.1, which is OneRoster-shaped (no manifest; roles.csv, relationships.csv, no status columns).

Passwords (``password`` column) are never read."""

from __future__ import annotations

from domain.messages_home.languages import normalize
from domain.roster import checks
from domain.roster.files import RosterFiles, Table, get, read_table
from domain.roster.model import (
    ClassRecord,
    GuardianRecord,
    Roster,
    RosterError,
    SchoolRecord,
    StaffRecord,
    StudentRecord,
    Term,
    parse_grade,
    parse_sex,
)

STUDENT_ROLES = {"student"}
TEACHER_ROLES = {"teacher", "professor"}
ADMIN_ROLES = {"administrator", "principal", "siteadministrator", "districtadministrator", "systemadministrator"}
GUARDIAN_ROLES = {"guardian", "parent", "relative"}
DISTRICT_TYPES = {"district", "local", "state", "national", "ministryofeducation"}


def manifest(files: RosterFiles, errors: list[RosterError]) -> dict[str, str]:
    table = read_table(files, "manifest.csv", ("propertyName", "value"), errors)
    if table is None:
        return {}
    return {get(row, "propertyName"): get(row, "value") for _, row in table}


def parse(files: RosterFiles, errors: list[RosterError], *, sds: bool = False) -> Roster:
    """OneRoster (version from the manifest) or, with ``sds``, Microsoft SDS v2.1."""
    modes: dict[str, str] = {}
    if sds:
        version = "2.1"
        roster = Roster(format="sds-v2.1")
    else:
        props = manifest(files, errors)
        version = props.get("oneroster.version", "")
        if version not in ("1.0", "1.1", "1.2"):
            errors.append(RosterError(files.original_name("manifest.csv"), None,
                                      f"oneroster.version {version!r} is not 1.0, 1.1 or 1.2"))
            return Roster(format="oneroster")
        roster = Roster(format=f"oneroster-{version}")
        modes = {k.removeprefix("file."): v.strip().lower() for k, v in props.items() if k.startswith("file.")}
        for name, mode in modes.items():
            if mode == "delta" and name in ("orgs", "users", "classes", "courses", "enrollments", "demographics"):
                errors.append(RosterError("manifest.csv", None, f"file.{name} is a delta export; Faraday syncs "
                                          "from bulk exports (a full export of every file)"))
        if errors:
            return roster
    uses_roles_file = sds or version == "1.2"

    def table(name: str, required: tuple[str, ...], *, optional: bool = False) -> Table | None:
        if modes.get(name.removesuffix(".csv")) == "absent" or (optional and not files.has(name)):
            return None
        return read_table(files, name, required, errors)

    org_id = "orgSourcedId" if sds else "schoolSourcedId"
    orgs = table("orgs.csv", ("sourcedId", "name", "type"))
    users = table("users.csv", ("sourcedId", "givenName", "familyName") + (() if uses_roles_file else ("role",)))
    classes = table("classes.csv", ("sourcedId", "title", "courseSourcedId", org_id))
    courses = table("courses.csv", ("sourcedId", "title"))
    enrollments = table("enrollments.csv", ("classSourcedId", "userSourcedId", "role"))
    demographics = table("demographics.csv", ("userSourcedId" if sds else "sourcedId",), optional=True)
    sessions = table("academicSessions.csv", ("sourcedId", "title", "startDate", "endDate"), optional=True)
    roles = table("roles.csv", ("userSourcedId", "role", "orgSourcedId")) if uses_roles_file else None
    relationships = table("relationships.csv", ("userSourcedId", "relationshipUserSourcedId", "relationshipRole"),
                          optional=True) if sds else None
    if errors or orgs is None or users is None or classes is None or courses is None or enrollments is None:
        if not errors:
            errors.append(RosterError("manifest.csv", None, "orgs, users, classes, courses and enrollments are "
                                      "required (the manifest marks one absent)"))
        return roster

    # --- orgs ------------------------------------------------------------------------------------------------
    org_rows: dict[str, tuple[str, str]] = {}  # id -> (name, type)
    seen: dict[str, int] = {}
    for line, row in _present(orgs, errors):
        sid = checks.source_id(get(row, "sourcedId"), orgs.file, line, "sourcedId", errors)
        if sid is None or checks.duplicate(seen, sid, orgs.file, line, "org sourcedId", errors):
            continue
        org_rows[sid] = (get(row, "name") or sid, get(row, "type").lower())
    districts = [name for name, kind in org_rows.values() if kind in DISTRICT_TYPES]
    roster.district_name = districts[0] if len(districts) == 1 else None
    listed_orgs = {get(row, "sourcedId") for _, row in orgs}

    def org(value: str, file: str, line: int, column: str) -> str | None:
        if value in org_rows:
            return value
        if value not in listed_orgs:
            errors.append(RosterError(file, line, f"{column} {value!r} is not in orgs.csv"))
        return None

    # --- academic sessions (terms) ----------------------------------------------------------------------------
    terms: dict[str, Term] = {}
    listed_sessions: set[str] = set()
    if sessions is not None:
        seen = {}
        for line, row in _present(sessions, errors):
            sid = checks.source_id(get(row, "sourcedId"), sessions.file, line, "sourcedId", errors)
            if sid is None or checks.duplicate(seen, sid, sessions.file, line, "session sourcedId", errors):
                continue
            term = checks.term(get(row, "title") or sid, get(row, "startDate"), get(row, "endDate"), sessions.file,
                               line, errors, iso=True)
            if term is not None:
                terms[sid] = term
        listed_sessions = {get(row, "sourcedId") for _, row in sessions}

    # --- courses ---------------------------------------------------------------------------------------------
    course_rows: dict[str, tuple[str, str, str]] = {}  # id -> (title, subjects, grades)
    seen = {}
    for line, row in _present(courses, errors):
        sid = checks.source_id(get(row, "sourcedId"), courses.file, line, "sourcedId", errors)
        if sid is None or checks.duplicate(seen, sid, courses.file, line, "course sourcedId", errors):
            continue
        course_rows[sid] = (get(row, "title"), get(row, "subjects") or get(row, "subject"),
                            get(row, "grades") or get(row, "grade"))
    listed_courses = {get(row, "sourcedId") for _, row in courses}

    # --- users and their roles -----------------------------------------------------------------------------------
    user_rows: dict[str, tuple[int, dict[str, str]]] = {}
    seen = {}
    for line, row in _present(users, errors):
        sid = checks.source_id(get(row, "sourcedId"), users.file, line, "sourcedId", errors)
        if sid is None or checks.duplicate(seen, sid, users.file, line, "user sourcedId", errors):
            continue
        user_rows[sid] = (line, row)
    listed_users = {get(row, "sourcedId") for _, row in users}
    user_role: dict[str, str] = {}
    user_orgs: dict[str, list[str]] = {}
    if roles is not None:
        primary: set[str] = set()
        for line, row in _present(roles, errors):
            user = get(row, "userSourcedId")
            if user not in user_rows:
                if user not in listed_users:
                    errors.append(RosterError(roles.file, line, f"userSourcedId {user!r} is not in users.csv"))
                continue
            is_primary = get(row, "roleType").lower() == "primary" or get(row, "isPrimary").lower() == "true"
            if user not in user_role or (is_primary and user not in primary):
                user_role[user] = get(row, "role").lower()
            if is_primary:
                primary.add(user)
            where = org(get(row, "orgSourcedId"), roles.file, line, "orgSourcedId")
            if where is not None:
                found = user_orgs.setdefault(user, [])
                found.insert(0, where) if is_primary else found.append(where)
    for sid, (line, row) in user_rows.items():
        if roles is None:
            user_role[sid] = get(row, "role").lower()
        for value in _split(get(row, "primaryOrgSourcedId")) + _split(get(row, "orgSourcedIds")):
            where = org(value, users.file, line, "orgSourcedIds")
            if where is not None and where not in user_orgs.setdefault(sid, []):
                user_orgs[sid].append(where)

    # --- classes ---------------------------------------------------------------------------------------------
    seen = {}
    for line, row in _present(classes, errors):
        sid = checks.source_id(get(row, "sourcedId"), classes.file, line, "sourcedId", errors)
        if sid is None or checks.duplicate(seen, sid, classes.file, line, "class sourcedId", errors):
            continue
        school = org(get(row, org_id), classes.file, line, org_id)
        course_id = get(row, "courseSourcedId")
        if course_id not in course_rows:
            if course_id not in listed_courses:
                errors.append(RosterError(classes.file, line, f"courseSourcedId {course_id!r} is not in courses.csv"))
            continue
        if school is None:
            continue
        course_title, course_subjects, course_grades = course_rows[course_id]
        roster.classes[sid] = ClassRecord(
            sid, school, get(row, "title") or course_title,
            subject=" ".join(filter(None, (get(row, "subjects"), course_subjects))),
            course_title=course_title,
            grade=parse_grade(get(row, "grades") or course_grades),
            period=get(row, "periods"), location=get(row, "location"),
        )
        if sessions is not None:  # no academicSessions.csv: the classes' terms are unknown (the setting applies)
            term_column = "sessionSourcedIds" if sds else "termSourcedIds"
            class_terms = []
            for term_id in _split(get(row, term_column)):
                if term_id in terms:
                    class_terms.append(terms[term_id])
                elif term_id not in listed_sessions:
                    errors.append(RosterError(classes.file, line, f"{term_column} {term_id!r} is not in "
                                                                  "academicSessions.csv"))
            roster.classes[sid].term = Term.spanning(class_terms)
    listed_classes = {get(row, "sourcedId") for _, row in classes}

    # --- enrollments ---------------------------------------------------------------------------------------------
    student_ids: set[str] = {sid for sid, role in user_role.items() if role in STUDENT_ROLES}
    teachers: dict[str, list[tuple[bool, str]]] = {}
    first_class: dict[str, str] = {}  # a person's first class in the file: their school when they have several
    for line, row in _present(enrollments, errors):  # the hot loop of a district export: plain dict look-ups
        class_id, user = row.get("classsourcedid", ""), row.get("usersourcedid", "")
        for key, column in (("begindate", "beginDate"), ("enddate", "endDate")):
            if row.get(key):
                checks.iso_date(row[key], enrollments.file, line, column, errors)
        if class_id not in roster.classes:
            if class_id not in listed_classes:
                errors.append(RosterError(enrollments.file, line, f"classSourcedId {class_id!r} is not in classes.csv"))
            continue
        if user not in user_rows:
            if user not in listed_users:
                errors.append(RosterError(enrollments.file, line, f"userSourcedId {user!r} is not in users.csv"))
            continue
        role = row.get("role", "").lower()
        if user not in first_class:
            first_class[user] = class_id
        if role in STUDENT_ROLES:
            roster.enrollments.add((class_id, user))
            student_ids.add(user)
        elif role in TEACHER_ROLES:
            teachers.setdefault(class_id, []).append((get(row, "primary").lower() == "true", user))
    staff_ids = {sid for sid, role in user_role.items() if role in TEACHER_ROLES | ADMIN_ROLES}
    for class_id, entries in teachers.items():
        ordered = [user for _, user in sorted(entries, key=lambda e: not e[0])]
        roster.classes[class_id].teacher_source_ids = list(dict.fromkeys(ordered))
        staff_ids.update(ordered)

    # --- people ----------------------------------------------------------------------------------------------
    class_school = {c.source_id: c.school_source_id for c in roster.classes.values()}
    born: dict[str, tuple[object, str | None]] = {}
    if demographics is not None:
        key = "userSourcedId" if sds else "sourcedId"
        for line, row in _present(demographics, errors):
            born[get(row, key)] = (checks.iso_date(get(row, "birthDate"), demographics.file, line, "birthDate", errors),
                                   parse_sex(get(row, "sex")))
    for sid in sorted(student_ids | staff_ids):
        line, row = user_rows[sid]
        school = class_school.get(first_class.get(sid, "")) or next(iter(user_orgs.get(sid, [])), None)
        if school is None:
            errors.append(RosterError(users.file, line, f"user {sid!r} belongs to no org in orgs.csv"))
            continue
        given, family = get(row, "preferredGivenName") or get(row, "givenName"), get(row, "familyName")
        if sid in student_ids:
            dob, sex = born.get(sid, (None, None))
            roster.students[sid] = StudentRecord(
                sid, school, get(row, "givenName") or get(row, "username") or sid, family,
                student_number=get(row, "identifier") or sid, grade=parse_grade(get(row, "grades")),
                date_of_birth=dob, sex=sex,  # type: ignore[arg-type]
                preferred_name=given if given != get(row, "givenName") else None,
            )
        else:
            roster.staff[sid] = StaffRecord(
                sid, school, given or get(row, "username") or sid, family,
                role="admin" if user_role.get(sid) in ADMIN_ROLES else "teacher",
                email=get(row, "email") or None, username=get(row, "username") or None,
            )

    # --- guardians -----------------------------------------------------------------------------------------------
    links: list[tuple[str, str, str]] = []  # (student, guardian, relationship)
    for sid, (line, row) in user_rows.items():
        for agent in _split(get(row, "agentSourcedIds")):
            if agent not in user_rows:
                if agent not in listed_users:
                    errors.append(RosterError(users.file, line, f"agentSourcedIds names {agent!r}, not in users.csv"))
                continue
            if sid in student_ids and user_role.get(agent) in GUARDIAN_ROLES:
                links.append((sid, agent, user_role[agent]))
            elif agent in student_ids and user_role.get(sid) in GUARDIAN_ROLES:
                links.append((agent, sid, user_role[sid]))
    if relationships is not None:
        for line, row in _present(relationships, errors):
            student, other = get(row, "userSourcedId"), get(row, "relationshipUserSourcedId")
            for value in (student, other):
                if value not in listed_users:
                    errors.append(RosterError(relationships.file, line, f"user {value!r} is not in users.csv"))
            if student in student_ids and other in user_rows:
                links.append((student, other, get(row, "relationshipRole").lower() or "guardian"))
    permissions: dict[str, bool | None] = {}
    for student, guardian, relationship in links:
        line, row = user_rows[guardian]
        if guardian not in permissions:
            permissions[guardian], problem = guardian_contact(row)
            if problem:
                errors.append(RosterError(users.file, line, problem))
        roster.guardians.setdefault((student, guardian), GuardianRecord(
            guardian, student, f"{get(row, 'givenName')} {get(row, 'familyName')}".strip() or guardian,
            relationship, phone=get(row, "phone") or get(row, "sms") or None, email=get(row, "email") or None,
            language=guardian_language(row), contact_allowed=permissions[guardian],
        ))
    for sid, (name, _kind) in org_rows.items():
        roster.schools[sid] = SchoolRecord(sid, name)
    return roster


# Neither OneRoster 1.1/1.2 nor SDS v2.1 has a language column for users; SISs that export one use OneRoster's
# extension columns (``metadata.*``). These are the spellings Faraday reads, first found wins.
LANGUAGE_COLUMNS = ("metadata.preferredLanguage", "metadata.language", "metadata.homeLanguage", "preferredLanguage")


def guardian_language(row: dict[str, str]) -> str | None:
    """A guardian's preferred language from the users row (a code or a name: "es", "Spanish"), or None."""
    for column in LANGUAGE_COLUMNS:
        value = normalize(get(row, column))
        if value:
            return value
    return None


# Nor has either a column for whether the school may write to a guardian (OneRoster 1.2 users.csv and SDS v2.1's users
# and relationships.csv carry none; Graph's relatedContact.accessConsent is about access to the student's data). SISs
# that export it use extension columns: a permission (yes = may contact) or a "do not contact" flag (yes = may not).
# These are the spellings Faraday reads, first found wins; a file without them keeps what Faraday has.
CONTACT_COLUMNS = ("metadata.contactPermission", "metadata.contactAllowed")
NO_CONTACT_COLUMNS = ("metadata.doNotContact",)
YES = frozenset({"y", "yes", "true", "1", "allowed", "allow", "permitted", "granted"})
NO = frozenset({"n", "no", "false", "0", "denied", "deny", "refused", "withdrawn", "not allowed"})


def guardian_contact(row: dict[str, str]) -> tuple[bool | None, str | None]:
    """(may the school write to this guardian?, a problem to report) from the users row; (None, None) when the row
    says nothing. A value that is neither yes nor no is an error: guessing could write to a family that said no."""
    for columns, yes_means in ((CONTACT_COLUMNS, True), (NO_CONTACT_COLUMNS, False)):
        for column in columns:
            raw = get(row, column)
            if not raw:
                continue
            value = " ".join(raw.lower().split())
            if value in YES:
                return yes_means, None
            if value in NO:
                return not yes_means, None
            return None, f"{column} is {raw[:40]!r}; expected yes or no (true/false, 1/0)"
    return None, None


def _present(table: Table, errors: list[RosterError]):  # type: ignore[no-untyped-def]
    """Rows not marked ``tobedeleted``, with ``status`` and ``dateLastModified`` checked."""
    for line, row in table:
        stamp, status = row.get("datelastmodified"), row.get("status")
        if stamp:
            checks.iso_datetime(stamp, table.file, line, "dateLastModified", errors)
        if not status or status == "active" or not checks.removed(status, table.file, line, errors):
            yield line, row


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
