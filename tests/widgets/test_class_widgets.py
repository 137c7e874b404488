"""skill_gaps, assessment_status, fitness_trends, participation, class_insights on hand-built rows."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import delete

from domain.models import (
    Activity,
    ActivityParticipation,
    Attendance,
    FitnessBand,
    FitnessTest,
    Incident,
    Severity,
    SkillAssessment,
)
from domain.widgets import WidgetService
from tests.support.district import NOW, TZ, District_, audit_rows


def _skill(d: District_, who: str, skill: str, level: int, day: date, unit: str = "Basketball", cls: str = "p3") -> dict:
    return {"student_id": d.students[who], "class_id": d.classes[cls], "skill": skill, "unit": unit, "level": level,
            "assessed_on": day}


async def test_skill_gaps_uses_each_students_latest_level_per_skill(district: District_, widgets: WidgetService) -> None:
    d = district
    await d.add(SkillAssessment, [
        _skill(d, "ann", "Passing", 1, date(2026, 10, 1)), _skill(d, "ann", "Passing", 2, date(2026, 11, 2)),
        _skill(d, "ann", "Shooting", 4, date(2026, 11, 2)),
        _skill(d, "ben", "Passing", 3, date(2026, 11, 3)), _skill(d, "ben", "Shooting", 3, date(2026, 11, 3)),
    ])
    r = await widgets.run(d.tess, "skill_gaps", now=NOW, class_text="period 3")
    # latest: ann Passing 2, Shooting 4; ben 3, 3 → Passing mean 2.5 (weakest), Shooting 3.5; overall 3.00
    assert r.headline() == {"Mean level": "3", "Students below benchmark": "1", "Not assessed": "1",
                            "Skills assessed": "2"}
    assert r.chart is not None and r.chart.labels == ("Passing", "Shooting") and r.chart.series[0].values == (2.5, 3.5)
    assert r.table is not None and r.table.rows == (("Ann Abbott", "Passing (2)"),)
    assert "Not assessed in this period (1): Cal Cole." in r.notes
    shown = {row[2] for row in await audit_rows(d.sessions) if row[0] == "student.read"}
    assert shown == {d.students["ann"], d.students["cal"]}


async def test_skill_gaps_with_no_assessments_says_so(district: District_, widgets: WidgetService) -> None:
    r = await widgets.run(district.tess, "skill_gaps", now=NOW, class_text="period 3")
    assert r.empty and r.metrics == ()


async def test_assessment_status_lists_who_lacks_a_current_unit_assessment(district: District_, widgets: WidgetService) -> None:
    d = district
    await d.add(SkillAssessment, [
        _skill(d, "ann", "Dribbling", 3, date(2026, 11, 2)), _skill(d, "ann", "Shooting", 2, date(2026, 11, 3)),
        _skill(d, "ben", "Dribbling", 2, date(2026, 11, 2)),
        _skill(d, "cal", "Volley", 2, date(2026, 9, 2), unit="Volleyball"),  # an earlier unit: does not count
    ])
    r = await widgets.run(d.tess, "assessment_status", now=NOW, class_text="period 3")
    assert r.headline() == {"Fully assessed": "1", "Partly assessed": "1", "Not assessed": "1", "Students": "3"}
    assert r.table is not None and r.table.rows == (("Ben Brown", "Shooting"), ("Cal Cole", "Dribbling, Shooting"))
    assert r.title == "Assessment status — Basketball"


async def test_fitness_trends_against_bands_stored_as_data(district: District_, widgets: WidgetService) -> None:
    d = district
    # Tess's period 3: Ann (F, 12 on the test day) and Ben (M, 12) are tested, Cal is not. The district's own
    # bands replace the published ones the migration loaded.
    async with d.sessions() as s, s.begin():
        await s.execute(delete(FitnessBand))
    await d.add(FitnessBand, [{"test": "pacer", "sex": "F", "age": 12, "healthy_min": 15.0},
                              {"test": "pacer", "sex": "M", "age": 12, "healthy_min": 23.0},
                              {"test": "push_ups", "sex": "F", "age": 12, "healthy_min": 7.0},
                              {"test": "push_ups", "sex": "M", "age": 12, "healthy_min": 8.0}])
    await d.add(FitnessTest, [
        {"student_id": d.students["ann"], "test": "pacer", "value": 12, "unit": "laps", "tested_on": date(2026, 9, 15)},
        {"student_id": d.students["ann"], "test": "pacer", "value": 20, "unit": "laps", "tested_on": date(2026, 10, 15)},
        {"student_id": d.students["ann"], "test": "push_ups", "value": 8, "unit": "reps", "tested_on": date(2026, 10, 16)},
        {"student_id": d.students["ben"], "test": "pacer", "value": 22, "unit": "laps", "tested_on": date(2026, 10, 15)},
        {"student_id": d.students["ben"], "test": "push_ups", "value": 3, "unit": "reps", "tested_on": date(2026, 10, 16)},
    ])
    r = await widgets.run(d.tess, "fitness_trends", now=NOW, class_text="period 3")
    # latest: ann pacer 20 ≥ 15 in, push-ups 8 ≥ 7 in; ben pacer 22 < 23 out, push-ups 3 < 8 out → 2 of 4
    assert r.headline() == {"In healthy zone": "50.0%", "Students tested": "2 of 3", "Below zone in 2+ tests": "1"}
    assert r.table is not None and r.table.rows == (("PACER", "2", "50.0%", "21 laps", "1"),
                                                   ("Push-ups", "2", "50.0%", "5.5 reps", "1"))
    assert r.chart is not None and r.chart.kind == "line" and r.chart.labels == ("2026-09", "2026-10")
    assert r.chart.series[0].values == (0.0, 50.0)  # PACER: Sept ann 12 < 15; Oct one of two in the zone
    assert any("Ben Brown" in n for n in r.notes)


async def test_participation_counts_active_minutes_against_possible(district: District_, widgets: WidgetService) -> None:
    d = district
    async with d.sessions() as s, s.begin():
        a1 = Activity(class_id=d.classes["p3"], day=date(2026, 11, 16), name="Layups", unit="Basketball", minutes=40)
        a2 = Activity(class_id=d.classes["p3"], day=date(2026, 11, 18), name="3v3", unit="Basketball", minutes=50)
        s.add_all([a1, a2])
        await s.flush()
        ids = (a1.id, a2.id)
    await d.add(ActivityParticipation, [
        {"activity_id": ids[0], "student_id": d.students["ann"], "minutes_active": 30},
        {"activity_id": ids[1], "student_id": d.students["ann"], "minutes_active": 50},
        {"activity_id": ids[0], "student_id": d.students["ben"], "minutes_active": 20},
    ])
    r = await widgets.run(d.tess, "participation", now=NOW, class_text="period 3")
    # possible 90 min each; ann 80 (88.9%), ben 20 (22.2%), cal 0 (0%): 100 of 270 = 37.0%
    assert r.headline() == {"Active share of class time": "37.0%", "Sessions held": "2",
                            "Active min per student-session": "33.3", "Below 75%": "2"}
    assert r.table is not None and r.table.rows == (("Cal Cole", "0 of 2", "0", "0.0%"),
                                                   ("Ben Brown", "1 of 2", "20", "22.2%"))
    one = await widgets.run(d.tess, "participation", now=NOW, class_text="period 3", student_text="Ben Brown")
    assert one.headline()["Sessions joined"] == "1 of 2" and one.table is not None
    assert one.table.rows[0] == ("Nov 18", "3v3", "absent (of 50)")


async def test_class_insights_combines_the_sources_and_audits_only_the_class(
    district: District_, widgets: WidgetService
) -> None:
    d = district
    await d.add(Attendance, [{"class_id": d.classes["p3"], "student_id": d.students[w], "day": date(2026, 11, 16),
                              "status": st} for w, st in (("ann", "present"), ("ben", "absent"), ("cal", "tardy"))])
    await d.add(SkillAssessment, [_skill(d, "ann", "Passing", 4, date(2026, 11, 2)),
                                  _skill(d, "ben", "Passing", 2, date(2026, 11, 2))])
    await d.add(Incident, [{"school_id": d.school_a, "student_id": d.students["ben"], "class_id": d.classes["p3"],
                            "occurred_at": datetime.combine(date(2026, 11, 10), time(10), TZ), "location": "Gym",
                            "activity": "3v3", "incident_type": "injury", "severity": Severity.serious,
                            "description": "x", "status": "open"}])
    r = await widgets.run(d.tess, "class_insights", now=NOW, class_text="period 3")
    assert r.headline() == {"Attendance": "66.7%", "Assessments": "2", "Mean skill level": "3",
                            "At or above benchmark": "50.0%", "Incidents": "1 (1 serious+)"}
    rows = await audit_rows(d.sessions)
    assert rows == [("class.read", "class", d.classes["p3"], "widget:class_insights", True)]
