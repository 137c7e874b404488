"""Recording only inside the term: the class's term from the roster, else the district's current term from the
SCHOOL_TERMS setting. A day outside comes back as a per-field error on ``day`` and nothing is written (rows, card
key, audit). On the hand-built district (today: Friday 20 November 2026) and through real roster imports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from domain.errors import InvalidInput
from domain.models import Attendance, AuditLog, FitnessTest, RecordSubmission, SchoolClass, SkillAssessment
from domain.records.attendance import AttendanceService, validate_attendance
from domain.records.fitness import FitnessService, validate_fitness
from domain.records.skills import SkillService, validate_skills
from domain.records.terms import TermWindow, current_term
from domain.roster.service import import_roster
from domain.settings import SchoolTerm, Settings
from tests.roster.conftest import FIXTURES
from tests.support.district import NOW, District_

TODAY = NOW.date()
FALL = TermWindow("Fall 2026", date(2026, 10, 5), date(2026, 12, 18))
SPRING = TermWindow("Spring 2027", date(2027, 1, 5), date(2027, 6, 10))
BEFORE_FALL = "Oct 2, 2026 is before the term (Fall 2026: Oct 5, 2026 – Dec 18, 2026)."


def test_the_current_term_is_the_latest_that_has_started_and_the_first_before_any_has() -> None:
    assert current_term([SPRING, FALL], TODAY) == FALL
    assert current_term([SPRING, FALL], date(2026, 12, 30)) == FALL  # the break: fall's last weeks can be completed
    assert current_term([SPRING, FALL], date(2027, 1, 5)) == SPRING
    assert current_term([SPRING, FALL], date(2026, 9, 1)) == FALL
    assert current_term([], TODAY) is None


def test_the_setting_takes_a_json_list_of_terms_and_refuses_one_that_ends_before_it_starts(monkeypatch) -> None:
    monkeypatch.setenv("SCHOOL_TERMS", '[{"name": "Fall 2026", "start": "2026-08-24", "end": "2026-12-18"}]')
    assert Settings().school_terms == [SchoolTerm(name="Fall 2026", start=date(2026, 8, 24), end=date(2026, 12, 18))]
    monkeypatch.setenv("SCHOOL_TERMS", '[{"name": "Fall 2026", "start": "2026-12-18", "end": "2026-08-24"}]')
    with pytest.raises(ValueError, match="ends before it starts"):
        Settings()


async def _written(d: District_) -> dict[str, int]:
    async with d.sessions() as s:
        return {
            "attendance": await s.scalar(select(func.count()).select_from(Attendance)) or 0,
            "fitness": await s.scalar(select(func.count()).select_from(FitnessTest)) or 0,
            "skills": await s.scalar(select(func.count()).select_from(SkillAssessment)) or 0,
            "keys": await s.scalar(select(func.count()).select_from(RecordSubmission)) or 0,
            "audit": await s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.allowed.is_(True))) or 0,
        }


def _attendance(d: District_, day: date) -> Any:
    return validate_attendance({"class_id": d.classes["p3"], "day": day.isoformat(), "marks": [
        {"student_id": d.students["ann"], "status": "absent"}]}, TODAY)


def _fitness(d: District_, day: date, cls: str | None = "p3") -> Any:
    return validate_fitness({"class_id": d.classes[cls] if cls else None, "test": "pacer", "day": day.isoformat(),
                             "values": {str(d.students["ann"]): "30"}}, TODAY)


def _skills(d: District_, day: date) -> Any:
    return validate_skills({"class_id": str(d.classes["p3"]), "skill": "Dribbling", "day": day.isoformat(),
                            "levels": {str(d.students["ann"]): "3"}}, TODAY)


async def test_without_any_term_known_only_the_future_and_the_60_days_apply(district: District_) -> None:
    saved = await AttendanceService(district.sessions).save(
        district.tess, _attendance(district, date(2026, 10, 2)), "k1", via="test", today=TODAY)
    assert saved.created


async def test_a_day_before_the_districts_current_term_is_refused_per_field_by_every_kind(district: District_) -> None:
    before = await _written(district)
    early = date(2026, 10, 2)
    attempts = [
        AttendanceService(district.sessions, [SPRING, FALL]).save(
            district.tess, _attendance(district, early), "k1", via="test", today=TODAY),
        FitnessService(district.sessions, [SPRING, FALL]).save(
            district.tess, _fitness(district, early), "k2", via="test", today=TODAY),
        FitnessService(district.sessions, [SPRING, FALL]).save(  # students named in chat, no class on the card
            district.tess, _fitness(district, early, cls=None), "k3", via="test", today=TODAY),
        SkillService(district.sessions, [SPRING, FALL]).save(
            district.tess, _skills(district, early), "k4", via="test", today=TODAY),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidInput) as caught:
            await attempt
        assert caught.value.field_errors == {"day": BEFORE_FALL}
    assert await _written(district) == before  # no rows, no card key claimed, no audit row

    inside = TODAY - timedelta(days=3)
    assert (await AttendanceService(district.sessions, [SPRING, FALL]).save(
        district.tess, _attendance(district, inside), "k1", via="test", today=TODAY)).created
    assert (await FitnessService(district.sessions, [SPRING, FALL]).save(
        district.tess, _fitness(district, inside), "k2", via="test", today=TODAY)).created
    assert (await SkillService(district.sessions, [SPRING, FALL]).save(
        district.tess, _skills(district, inside), "k4", via="test", today=TODAY)).created


async def test_the_classs_own_term_from_the_roster_wins_over_the_setting(district: District_) -> None:
    async with district.sessions() as s, s.begin():
        await s.execute(text("UPDATE classes SET term_name = 'Quarter 1', term_starts_on = '2026-08-24', "
                             "term_ends_on = '2026-10-30' WHERE id = :c"), {"c": district.classes["p3"]})
    before = await _written(district)
    service = AttendanceService(district.sessions, [FALL])  # the district's term would allow today
    with pytest.raises(InvalidInput) as caught:
        await service.save(district.tess, _attendance(district, TODAY), "k1", via="test", today=TODAY)
    assert caught.value.field_errors == {
        "day": "Nov 20, 2026 is after the term ended (Quarter 1: Aug 24, 2026 – Oct 30, 2026)."}
    with pytest.raises(InvalidInput) as skills:
        await SkillService(district.sessions, [FALL]).save(district.tess, _skills(district, TODAY), "k2", via="test",
                                                           today=TODAY)
    assert skills.value.field_errors == caught.value.field_errors
    assert await _written(district) == before
    saved = await service.save(district.tess, _attendance(district, date(2026, 10, 30)), "k3", via="test",
                               today=TODAY)
    assert saved.created and saved.day == date(2026, 10, 30)


async def test_a_student_outside_the_class_and_a_day_outside_the_term_are_both_reported(district: District_) -> None:
    draft = validate_attendance({"class_id": district.classes["p3"], "day": "2026-10-02", "marks": [
        {"student_id": district.students["dee"], "status": "absent"}]}, TODAY)
    with pytest.raises(InvalidInput) as caught:
        await AttendanceService(district.sessions, [FALL]).save(district.tess, draft, "k1", via="test", today=TODAY)
    assert caught.value.field_errors == {f"student_{district.students['dee']}": "Not in this class.",
                                         "day": BEFORE_FALL}


async def _class_terms(sessions) -> dict[str, tuple[str | None, date | None, date | None]]:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        rows = await s.execute(select(SchoolClass.source_id, SchoolClass.term_name, SchoolClass.term_starts_on,
                                      SchoolClass.term_ends_on).where(SchoolClass.source_id.is_not(None)))
        return {r[0]: (r[1], r[2], r[3]) for r in rows}


async def test_each_format_brings_its_classes_terms_and_a_changed_term_is_an_update(
    demo_sessions, sample, tmp_path,
) -> None:
    settings = Settings(database_url="postgresql://unused")
    for folder in ("handmade_oneroster_1_2", "oneroster_1_1_edfi", "sds_v1_100_users", "sds_v2_1",
                   "sds_v1_min_required"):
        report = await import_roster(demo_sessions, settings, FIXTURES / folder, dry_run=False, all_classes=True)
        assert report.errors == [], folder
    terms = await _class_terms(demo_sessions)
    assert terms["k-pe7-1"] == ("2026-2027", date(2026, 8, 20), date(2027, 6, 10))
    assert terms["25590100101Trad120ENG112011"] == (  # Fall + Spring: from the first's start to the last's end
        "2020-2021 Fall Semester – 2020-2021 Spring Semester", date(2020, 8, 17), date(2021, 5, 28))
    assert terms["11013"] == ("SY1516", date(2017, 7, 1), date(2018, 6, 30))  # SDS v1: M/D/YYYY
    assert terms["112001"] == ("Fall Semester", date(2021, 9, 1), date(2021, 12, 1))  # SDS v2.1 sessionSourcedIds

    folder = sample("handmade_oneroster_1_2")
    sessions_csv = folder / "academicSessions.csv"
    sessions_csv.write_text(sessions_csv.read_text(encoding="utf-8-sig").replace("2027-06-10", "2027-06-17"))
    changed = await import_roster(demo_sessions, settings, folder, dry_run=False, all_classes=True)
    assert changed.counts["classes"].updated == 4
    assert (await _class_terms(demo_sessions))["k-pe7-1"][2] == date(2027, 6, 17)


@pytest.mark.parametrize(("edit", "error"), [
    (("academicSessions.csv", "2026-08-20,2027-06-10", "2027-06-10,2026-08-20"),
     ("academicSessions.csv", 2, "the term ends (2026-08-20) before it starts (2027-06-10)")),
    (("academicSessions.csv", "2026-08-20,2027-06-10", "8/20/2026,2027-06-10"),
     ("academicSessions.csv", 2, "startDate '8/20/2026' is not an ISO 8601 date (YYYY-MM-DD)")),
    (("classes.csv", "Main Gym,s1,t1,", "Main Gym,s1,t9,"),
     ("classes.csv", 2, "termSourcedIds 't9' is not in academicSessions.csv")),
])
async def test_a_bad_term_is_reported_by_file_and_line_and_nothing_is_imported(
    demo_sessions, sample, edit, error,
) -> None:
    folder = sample("handmade_oneroster_1_2")
    name, old, new = edit
    path = folder / name
    content = path.read_text(encoding="utf-8-sig")
    assert old in content
    path.write_text(content.replace(old, new))
    report = await import_roster(demo_sessions, Settings(database_url="postgresql://unused"), folder,
                                 dry_run=False, all_classes=False)
    assert [(e.file, e.line, e.message) for e in report.errors] == [error]
    assert await _class_terms(demo_sessions) == {}
