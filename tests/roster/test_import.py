"""Importing the published samples and hand-built exports into real PostgreSQL: counts, re-import is a no-op, a
changed export applies, a dry run writes nothing, passwords are never kept."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select, text

from domain.actor import Actor
from domain.models import Enrollment, Role, SchoolClass, Staff, Student
from domain.roster.service import import_roster
from domain.students import StudentService
from tests.roster.conftest import FIXTURES, rewrite, snapshot

# (folder, all classes?) -> expected created counts
SAMPLES = {
    ("sds_v1_100_users", True): {"schools": 2, "staff": 12, "classes": 28, "students": 86, "enrollments": 602,
                                 "guardians": 0},
    ("sds_v1_100_users", False): {"schools": 2, "staff": 7, "classes": 8, "students": 86, "enrollments": 172,
                                  "guardians": 0},
    ("sds_v1_min_required", True): {"schools": 1, "staff": 2, "classes": 2, "students": 22, "enrollments": 44,
                                    "guardians": 0},
    ("sds_v2_1", True): {"schools": 2, "staff": 2, "classes": 2, "students": 4, "enrollments": 4, "guardians": 3},
    ("oneroster_1_1_edfi", True): {"schools": 1, "staff": 2, "classes": 2, "students": 8, "enrollments": 10,
                                   "guardians": 0},
    ("handmade_oneroster_1_2", False): {"schools": 1, "staff": 3, "classes": 3, "students": 3, "enrollments": 4,
                                        "guardians": 1},
}
FORMATS = {"sds_v1_100_users": "sds-v1", "sds_v1_min_required": "sds-v1", "sds_v2_1": "sds-v2.1",
           "oneroster_1_1_edfi": "oneroster-1.1", "handmade_oneroster_1_2": "oneroster-1.2"}


@pytest.mark.parametrize(("folder", "all_classes"), list(SAMPLES))
async def test_each_sample_imports_and_a_second_import_changes_nothing(sessions, settings, folder, all_classes):
    first = await import_roster(sessions, settings, FIXTURES / folder, dry_run=False, all_classes=all_classes)
    assert first.errors == []
    assert first.format == FORMATS[folder]
    assert {k: c.created for k, c in first.counts.items()} == SAMPLES[(folder, all_classes)]
    after_first = await snapshot(sessions)

    second = await import_roster(sessions, settings, FIXTURES / folder, dry_run=False, all_classes=all_classes)
    assert second.errors == []
    assert not second.changed
    assert {k: c.unchanged for k, c in second.counts.items()} == SAMPLES[(folder, all_classes)]
    assert "Nothing changed" in second.as_text()
    after_second = await snapshot(sessions)
    assert {k: v for k, v in after_second.items() if k != "roster_imports"} == \
        {k: v for k, v in after_first.items() if k != "roster_imports"}
    assert len(after_second["roster_imports"]) == 2  # both runs recorded for `roster status`


async def test_pe_scope_keeps_only_pe_and_health_classes_with_their_people(sessions, settings):
    report = await import_roster(sessions, settings, FIXTURES / "sds_v1_100_users", dry_run=False, all_classes=False)
    assert "pattern" in report.scope and "physical" in report.scope
    async with sessions() as session:
        subjects = (await session.execute(
            select(SchoolClass.subject).where(SchoolClass.source_id.is_not(None)))).scalars().all()
    assert sorted(set(subjects)) == ["Health", "PE"]


async def test_the_imported_rows_carry_the_files_values_and_the_demo_is_untouched(sessions, settings):
    before = await snapshot(sessions)
    demo_students = [r for r in before["students"]]
    await import_roster(sessions, settings, FIXTURES / "handmade_oneroster_1_2", dry_run=False, all_classes=False)
    async with sessions() as session:
        avery = (await session.execute(select(Student).where(Student.source_id == "u-s1"))).scalar_one()
        teacher = (await session.execute(select(Staff).where(Staff.source_id == "u-t1"))).scalar_one()
        admin = (await session.execute(select(Staff).where(Staff.source_id == "u-a1"))).scalar_one()
        pe1 = (await session.execute(select(SchoolClass).where(SchoolClass.source_id == "k-pe7-1"))).scalar_one()
        still_there = (await session.execute(text("SELECT count(*) FROM students WHERE source_id IS NULL"))).scalar()
    assert (avery.first_name, avery.preferred_name, avery.last_name, avery.student_number, avery.grade, avery.sex,
            str(avery.date_of_birth)) == ("Avery", "Ave", "Quill", "S700001", 7, "F", "2014-03-02")
    assert (teacher.role, teacher.email, teacher.aad_object_id, teacher.active) == \
        (Role.teacher, "rmarsh@lakeview.example", None, True)
    assert admin.role == Role.admin
    assert (pe1.name, pe1.subject, pe1.grade, pe1.period, pe1.location, pe1.teacher_id) == \
        ("PE 7, Period 1", "PE", 7, "1", "Main Gym", teacher.id)
    assert still_there == len(demo_students)


async def test_a_changed_export_deactivates_who_left_moves_a_class_and_adds_the_new(sessions, settings, sample):
    folder = sample("sds_v1_100_users")
    await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    # 13001 leaves; 13002 moves from section 11013 (PE 1) to 11014 (PE 2); 13999 is new in 11014.
    rewrite(folder / "Student.csv", lambda ls: [line for line in ls if not line.startswith("13001,")]
            + ["13999,10001,Quinn,Newcomb,QNewcomb,,WA,,13999,,9,Active,5/6/2011,2029"])
    rewrite(folder / "StudentEnrollment.csv", lambda ls: [
        line for line in ls if not line.endswith(",13001") and line != "11013,13002"
    ] + ["11014,13002", "11014,13999"])
    assert "11013,13002" in (FIXTURES / "sds_v1_100_users" / "StudentEnrollment.csv").read_text()

    report = await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert report.errors == []
    counts = {k: c.as_dict() for k, c in report.counts.items()}
    assert counts["students"] == {"created": 1, "updated": 0, "deactivated": 1, "unchanged": 85}
    assert counts["enrollments"]["created"] == 2  # 13002 into 11014, 13999 into 11014
    assert counts["enrollments"]["deactivated"] == 1  # 13002 out of 11013 (13001's rows are kept as the record)
    assert counts["classes"] == {"created": 0, "updated": 0, "deactivated": 0, "unchanged": 8}

    async with sessions() as session:
        left = (await session.execute(select(Student).where(Student.source_id == "13001"))).scalar_one()
        moved = await session.execute(
            select(SchoolClass.source_id).join(Enrollment, Enrollment.class_id == SchoolClass.id)
            .join(Student, Student.id == Enrollment.student_id).where(Student.source_id == "13002")
            .where(SchoolClass.subject == "PE"))
        teacher_of_11013 = (await session.execute(
            select(Staff).join(SchoolClass, SchoolClass.teacher_id == Staff.id)
            .where(SchoolClass.source_id == "11013"))).scalar_one()
        school_name = (await session.execute(text("SELECT name FROM schools WHERE id = :i"),
                                             {"i": teacher_of_11013.school_id})).scalar_one()
    assert left.active is False  # kept, not deleted
    assert sorted(moved.scalars()) == ["11014"]

    # who left is hidden from look-ups, even for a teacher whose class they were in
    actor = Actor(staff_id=teacher_of_11013.id, school_id=teacher_of_11013.school_id, role=Role.teacher,
                  tenant_id="t", aad_object_id="a", display_name=teacher_of_11013.display_name, email="",
                  school_name=school_name, time_zone="America/Chicago")
    service = StudentService(sessions)
    assert (await service.find(actor, "Ora Klein", via="test")).status == "not_found"
    roster_names = {name for _, name, _ in await service.roster(actor)}
    assert "Ora Klein" not in roster_names and roster_names  # the rest of the class is still there


async def test_a_class_that_disappeared_is_retired_and_hidden(sessions, settings, sample):
    folder = sample("handmade_oneroster_1_2")
    await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    rewrite(folder / "classes.csv", lambda ls: [line for line in ls if not line.startswith("k-pe7-2,")])
    rewrite(folder / "enrollments.csv", lambda ls: [line for line in ls if ",k-pe7-2," not in line])
    report = await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert report.errors == []
    assert report.counts["classes"].deactivated == 1
    assert report.counts["students"].deactivated == 1  # u-s3 was only in that class
    async with sessions() as session:
        retired = (await session.execute(select(SchoolClass).where(SchoolClass.source_id == "k-pe7-2"))).scalar_one()
    assert retired.active is False


async def test_a_teacher_change_is_applied(sessions, settings, sample):
    folder = sample("handmade_oneroster_1_2")
    await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    rewrite(folder / "enrollments.csv", lambda ls: [line.replace("k-pe7-2,s1,u-t1,", "k-pe7-2,s1,u-t2,")
                                                    for line in ls])
    report = await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert report.counts["classes"].as_dict() == {"created": 0, "updated": 1, "deactivated": 0, "unchanged": 2}
    async with sessions() as session:
        teacher = (await session.execute(
            select(Staff.source_id).join(SchoolClass, SchoolClass.teacher_id == Staff.id)
            .where(SchoolClass.source_id == "k-pe7-2"))).scalar_one()
    assert teacher == "u-t2"


async def test_a_dry_run_reports_the_changes_and_writes_nothing(sessions, settings):
    before = await snapshot(sessions)
    report = await import_roster(sessions, settings, FIXTURES / "sds_v1_100_users", dry_run=True, all_classes=True)
    assert report.dry_run and report.errors == []
    assert report.counts["students"].created == 86
    assert "dry run, nothing written" in report.as_text()
    assert await snapshot(sessions) == before


async def test_a_zip_of_the_export_imports_like_the_folder(sessions, settings, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in (FIXTURES / "oneroster_1_1_edfi").iterdir():
            zipped.write(file, f"OneRoster export/{file.name}")
    report = await import_roster(sessions, settings, archive, dry_run=False, all_classes=True)
    assert report.errors == []
    assert report.counts["students"].created == 8


async def test_passwords_in_the_files_are_never_stored_or_logged(sessions, settings, caplog):
    caplog.set_level(logging.DEBUG)
    for folder in ("sds_v1_100_users", "sds_v2_1", "handmade_oneroster_1_2"):
        await import_roster(sessions, settings, FIXTURES / folder, dry_run=False, all_classes=True)
    passwords = {"P@ssword", "P@ssw0rd", "P@ssword123", "NotARealSecret1", "NotARealSecret2"}
    stored = "\n".join(row for rows in (await snapshot(sessions)).values() for row in rows)
    assert "Quill" in stored  # the snapshot does hold the imported rows
    for password in passwords:
        assert password not in stored
        assert password not in caplog.text


def test_the_published_samples_are_kept_as_published() -> None:
    school = (FIXTURES / "sds_v1_100_users" / "School.csv").read_bytes()
    assert b"\r\n" in school  # CRLF, as Microsoft publishes them
    assert (FIXTURES / "handmade_oneroster_1_2" / "users.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM
    assert Path(FIXTURES / "SOURCE.md").read_text().count("a7cb5861ccc01269c635329695a1a317d05a644b") == 3


async def test_an_import_interrupted_half_way_leaves_the_previous_state_whole(sessions, settings, sample):
    from domain.roster.load import load
    from domain.roster.scope import narrow
    from domain.roster.sync import SyncOptions, sync

    await import_roster(sessions, settings, FIXTURES / "sds_v1_100_users", dry_run=False, all_classes=False)
    before = await snapshot(sessions)
    folder = sample("sds_v1_100_users")
    rewrite(folder / "Student.csv", lambda ls: [line for line in ls if not line.startswith("13001,")])
    rewrite(folder / "StudentEnrollment.csv", lambda ls: [line for line in ls if not line.endswith(",13001")])
    steps: list[int] = []

    def crash_after_students(step: str, done: int, total: int) -> None:
        steps.append(done)
        if step == "sync" and done == 4:  # schools, staff, classes and students written; enrollments next
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await sync(sessions, narrow(load(folder), settings.roster_pe_pattern), SyncOptions(), dry_run=False,
                   progress=crash_after_students)
    assert 4 in steps
    assert await snapshot(sessions) == before  # 13001 is still active: the deactivation rolled back with the rest


async def test_who_left_and_retired_classes_drop_out_of_school_wide_rosters_and_class_lists(sessions, settings, sample):
    from domain.authorization import class_visible

    folder = sample("handmade_oneroster_1_2")
    await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    async with sessions() as session:
        robin = (await session.execute(select(Staff).where(Staff.source_id == "u-t1"))).scalar_one()
        school_name = (await session.execute(text("SELECT name FROM schools WHERE id = :i"),
                                             {"i": robin.school_id})).scalar_one()

    def actor(role: Role) -> Actor:
        return Actor(staff_id=robin.id, school_id=robin.school_id, role=role, tenant_id="t", aad_object_id="a",
                     display_name="x", email="", school_name=school_name, time_zone="America/Chicago")

    async def seen(role: Role) -> tuple[set[str], set[str]]:
        students = {name for _, name, _ in await StudentService(sessions).roster(actor(role))}
        async with sessions() as session:
            classes = set((await session.execute(
                select(SchoolClass.source_id).where(class_visible(actor(role))))).scalars())
        return students, classes

    assert await seen(Role.nurse) == ({"Ave Quill", "Blake Rowan", "Casey Thorn"}, {"k-pe7-1", "k-pe7-2", "k-h7-3"})
    rewrite(folder / "classes.csv", lambda ls: [line for line in ls if not line.startswith("k-pe7-2,")])
    rewrite(folder / "enrollments.csv", lambda ls: [line for line in ls if ",k-pe7-2," not in line])
    await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert await seen(Role.nurse) == ({"Ave Quill", "Blake Rowan"}, {"k-pe7-1", "k-h7-3"})
    assert await seen(Role.teacher) == ({"Ave Quill", "Blake Rowan"}, {"k-pe7-1"})


def _drop_school(folder: Path, school: str) -> None:
    """Remove a school and everything of it from an SDS v1 export (the school's rows and their enrollments)."""
    removed: set[str] = set()

    def keep_others(lines: list[str]) -> list[str]:
        kept = [lines[0]]
        for line in lines[1:]:
            sis_id, school_id = line.split(",")[:2]
            if school_id == school:
                removed.add(sis_id)
            else:
                kept.append(line)
        return kept

    rewrite(folder / "School.csv", lambda ls: [line for line in ls if not line.startswith(f"{school},")])
    for name in ("Section.csv", "Student.csv", "Teacher.csv"):
        rewrite(folder / name, keep_others)
    for name in ("StudentEnrollment.csv", "TeacherRoster.csv"):
        rewrite(folder / name, lambda ls: [line for line in ls if not set(line.split(",")) & removed])
    assert removed


async def test_a_school_that_disappeared_is_deactivated_with_everyone_imported_there(sessions, settings, sample):
    folder = sample("sds_v1_100_users")
    await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    async with sessions() as session, session.begin():
        fabrikam = (await session.execute(text("SELECT id FROM schools WHERE source_id = '10002'"))).scalar_one()
        # an admin-set role: imports keep such a row even when the files drop the person, but not once the school
        # itself is gone
        locked = (await session.execute(text(
            "UPDATE staff SET role = 'nurse', role_locked = true WHERE id = (SELECT min(id) FROM staff "
            "WHERE school_id = :s AND source_id IS NOT NULL) RETURNING id"), {"s": fabrikam})).scalar_one()
    _drop_school(folder, "10002")

    report = await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert report.errors == []
    assert report.counts["schools"].as_dict() == {"created": 0, "updated": 0, "deactivated": 1, "unchanged": 1}
    async with sessions() as session:
        schools = dict((await session.execute(text(
            "SELECT source_id, active FROM schools WHERE source_id IS NOT NULL"))).all())
        still_active = {table: (await session.execute(text(
            f"SELECT count(*) FROM {table} WHERE school_id = :s AND active"), {"s": fabrikam})).scalar_one()
            for table in ("staff", "classes", "students")}  # fixed table names
        kept = {table: (await session.execute(text(f"SELECT count(*) FROM {table} WHERE school_id = :s"),
                                              {"s": fabrikam})).scalar_one() for table in ("classes", "students")}
        nurse_active = (await session.execute(text("SELECT active FROM staff WHERE id = :i"), {"i": locked})).scalar()
    assert schools == {"10001": True, "10002": False}
    assert still_active == {"staff": 0, "classes": 0, "students": 0}
    assert nurse_active is False
    assert all(kept.values())  # deactivated, not deleted: the records stay

    back = await import_roster(sessions, settings, FIXTURES / "sds_v1_100_users", dry_run=False, all_classes=False)
    assert back.counts["schools"].as_dict() == {"created": 0, "updated": 1, "deactivated": 0, "unchanged": 1}
    async with sessions() as session:
        active_again = (await session.execute(text("SELECT active FROM schools WHERE id = :s"),
                                              {"s": fabrikam})).scalar_one()
    assert active_again is True


async def test_a_dry_run_reports_a_school_that_left_and_changes_nothing(sessions, settings, sample):
    folder = sample("sds_v1_100_users")
    await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    before = await snapshot(sessions)
    _drop_school(folder, "10002")
    report = await import_roster(sessions, settings, folder, dry_run=True, all_classes=False)
    assert report.counts["schools"].deactivated == 1
    assert await snapshot(sessions) == before
