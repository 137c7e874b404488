"""Every kind of bad input gets an error saying where, and changes nothing (checked against a database that already
holds an earlier import of the same school, so 'nothing' includes not deactivating anyone)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from domain.roster.service import import_roster
from tests.roster.conftest import FIXTURES, rewrite, snapshot


def _drop(name: str):  # type: ignore[no-untyped-def]
    return lambda folder: (folder / name).unlink()


def _edit(name: str, old: str, new: str):  # type: ignore[no-untyped-def]
    def apply(folder: Path) -> None:
        rewrite(folder / name, lambda lines: [line.replace(old, new) for line in lines])
        assert old in (FIXTURES / folder.name / name).read_bytes().decode("utf-8-sig"), "the edit must change a line"

    return apply


def _append(name: str, line: str):  # type: ignore[no-untyped-def]
    return lambda folder: rewrite(folder / name, lambda lines: [*lines, line])


def _raw(name: str, data: bytes):  # type: ignore[no-untyped-def]
    return lambda folder: (folder / name).write_bytes(data)


# (case, fixture, break it, expected (file, line, words in the message))
CASES = [
    ("missing required file", "handmade_oneroster_1_2", _drop("enrollments.csv"),
     ("enrollments.csv", None, "required file enrollments.csv is missing")),
    ("missing SDS file", "sds_v1_100_users", _drop("TeacherRoster.csv"),
     ("TeacherRoster.csv", None, "required file TeacherRoster.csv is missing")),
    ("missing required column", "sds_v1_100_users", _edit("Student.csv", "SIS ID,School SIS ID,First Name",
                                                          "Id,School SIS ID,First Name"),
     ("Student.csv", 1, "missing required column(s): SIS ID")),
    ("unknown format", "handmade_oneroster_1_2", lambda f: [p.unlink() for p in f.iterdir()
                                                           if p.name not in ("users.csv", "classes.csv")],
     (None, None, "unknown roster format")),
    ("duplicate ids", "sds_v1_100_users",
     _append("Student.csv", "13001,10001,Ora,Klein,OKlein,,WA,,13001,,9,Active,4/2/2000,2019"),
     ("Student.csv", 88, "duplicate student SIS ID '13001' (first on line 2)")),
    ("duplicate ids (OneRoster)", "handmade_oneroster_1_2",
     _append("classes.csv", "k-pe7-1,active,2026-08-01T12:00:00Z,PE again,07,c-pe7,X,scheduled,Gym,s1,t1,,,5,"),
     ("classes.csv", 7, "duplicate class sourcedId 'k-pe7-1'")),
    ("enrollment naming an unknown class", "handmade_oneroster_1_2",
     _append("enrollments.csv", "e99,active,2026-08-01T12:00:00Z,k-nope,s1,u-s1,student,false,2026-08-20,,"),
     ("enrollments.csv", 12, "classSourcedId 'k-nope' is not in classes.csv")),
    ("enrollment naming an unknown user", "sds_v1_100_users", _append("StudentEnrollment.csv", "11013,19999"),
     ("StudentEnrollment.csv", 604, "student SIS ID '19999' is not in Student.csv")),
    ("SDS date not M/D/YYYY", "sds_v1_100_users", _edit("Student.csv", ",4/2/2000,", ",2000-04-02,"),
     ("Student.csv", 2, "Birthdate '2000-04-02' is not a date in M/D/YYYY form")),
    ("SDS impossible date", "sds_v1_100_users", _edit("Student.csv", ",4/2/2000,", ",13/2/2000,"),
     ("Student.csv", 2, "not a date in M/D/YYYY form")),
    ("OneRoster date not ISO", "handmade_oneroster_1_2", _edit("demographics.csv", ",2014-03-02,", ",3/2/2014,"),
     ("demographics.csv", 2, "birthDate '3/2/2014' is not an ISO 8601 date")),
    ("OneRoster dateLastModified not ISO", "handmade_oneroster_1_2",
     _edit("orgs.csv", "s1,active,2026-08-01T12:00:00Z", "s1,active,yesterday"),
     ("orgs.csv", 3, "dateLastModified 'yesterday' is not an ISO 8601 date-time")),
    ("unknown status", "handmade_oneroster_1_2", _edit("users.csv", "u-s2,active,", "u-s2,gone,"),
     ("users.csv", 7, "status 'gone' is not active or tobedeleted")),
    ("delta export", "handmade_oneroster_1_2", _edit("manifest.csv", "file.users,bulk", "file.users,delta"),
     ("manifest.csv", None, "file.users is a delta export")),
    ("unsupported version", "handmade_oneroster_1_2", _edit("manifest.csv", "oneroster.version,1.2",
                                                            "oneroster.version,3.0"),
     ("manifest.csv", None, "oneroster.version '3.0' is not 1.0, 1.1 or 1.2")),
    ("unterminated quote", "sds_v1_100_users", _append("Section.csv", '11999,10001,"PE broken,1'),
     ("Section.csv", None, "unreadable CSV")),
    ("too many fields", "sds_v1_100_users", _append("Teacher.csv", "14999,10001,A,B,AB,,WA,1,Active,,,,,extra"),
     ("Teacher.csv", 14, "14 fields but the header has 13")),
    ("not UTF-8", "sds_v1_100_users", _raw("School.csv", "SIS ID,Name\r\n10001,Caf\xe9\r\n".encode("latin-1")),
     ("School.csv", None, "not UTF-8 text")),
    ("empty file", "sds_v1_100_users", _raw("Section.csv", b""), ("Section.csv", 1, "the file is empty")),
    ("a school that is not in School.csv", "sds_v1_100_users", _edit("Section.csv", "11013,10001,", "11013,10009,"),
     ("Section.csv", None, "School SIS ID '10009' is not in School.csv")),
]


@pytest.mark.parametrize(("case", "fixture", "breaker", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_bad_input_is_reported_where_and_changes_nothing(sessions, settings, sample, case, fixture, breaker,
                                                               expected):
    good = await import_roster(sessions, settings, FIXTURES / fixture, dry_run=False, all_classes=True)
    assert good.errors == []
    before = await snapshot(sessions)
    folder = sample(fixture)
    breaker(folder)

    report = await import_roster(sessions, settings, folder, dry_run=False, all_classes=True)

    file, line, words = expected
    assert report.errors, case
    assert any((file is None or e.file == file) and (line is None or e.line == line) and words in e.message
               for e in report.errors), [e.as_dict() for e in report.errors]
    assert "nothing was written" in report.as_text()
    assert await snapshot(sessions) == before


async def test_a_path_that_is_not_there_or_not_a_zip_is_an_error(sessions, settings, tmp_path):
    before = await snapshot(sessions)
    missing = await import_roster(sessions, settings, tmp_path / "nope", dry_run=False, all_classes=True)
    (tmp_path / "roster.txt").write_text("hello")
    not_zip = await import_roster(sessions, settings, tmp_path / "roster.txt", dry_run=False, all_classes=True)
    assert "does not exist" in missing.errors[0].message
    assert "neither a folder nor a .zip" in not_zip.errors[0].message
    assert await snapshot(sessions) == before


async def test_two_staff_with_one_e_mail_or_two_students_with_one_number_are_reported(sessions, settings, sample):
    folder = sample("handmade_oneroster_1_2")
    rewrite(folder / "users.csv", lambda ls: [
        line.replace("jokafor@lakeview.example,,,", "rmarsh@lakeview.example,,,").replace(",S700002,", ",S700001,")
        for line in ls])
    before = await snapshot(sessions)
    report = await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert [e.as_dict() for e in report.errors] == [
        {"file": "users.csv", "line": None,
         "message": "staff 'u-t1' and 'u-t2' have the same e-mail 'rmarsh@lakeview.example'"},
        {"file": "users.csv", "line": None,
         "message": "students 'u-s1' and 'u-s2' have the same student number 'S700001'"},
    ]
    assert await snapshot(sessions) == before


async def test_a_clash_with_a_row_outside_the_roster_is_refused_by_the_database_and_writes_nothing(
        sessions, settings, sample):
    """A roster student number already used by a demo student who is not the roster's: the one transaction rolls
    back whole (nothing of the import stays) and the error names the constraint, not the value."""
    async with sessions() as session:
        demo_number = (await session.execute(text("SELECT student_number FROM students LIMIT 1"))).scalar_one()
    await import_roster(sessions, settings, FIXTURES / "handmade_oneroster_1_2", dry_run=False, all_classes=False)
    folder = sample("handmade_oneroster_1_2")
    rewrite(folder / "users.csv", lambda ls: [line.replace(",S700003,", f",{demo_number},") for line in ls])
    before = await snapshot(sessions)
    report = await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert report.errors and report.errors[0].file == "database"
    assert "uq_students_student_number" in report.errors[0].message and demo_number not in report.errors[0].message
    assert await snapshot(sessions) == before
