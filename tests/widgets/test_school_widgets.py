"""safety_risks, equipment, incident_summary, drivers_ed_progress, adaptive_pe on hand-built rows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import update

from domain.models import DriversEdProgress, Equipment, EquipmentInspection, HealthNote, Incident, Severity, Student
from domain.widgets import WidgetService
from tests.support.district import NOW, TODAY, TZ, District_, audit_rows


def _incident(d: District_, *, cls: str | None, who: str | None, day: date, kind: str = "injury",
              sev: Severity = Severity.minor, reporter: int | None = None, school: int | None = None,
              status: str = "open", location: str = "Gym") -> dict:
    return {"school_id": school or d.school_a, "student_id": d.students[who] if who else None,
            "class_id": d.classes[cls] if cls else None, "reporter_id": reporter,
            "occurred_at": datetime.combine(day, time(10), TZ), "location": location, "activity": "3v3",
            "incident_type": kind, "severity": sev, "description": "PRIVATE DESCRIPTION", "status": status}


async def _equipment(d: District_) -> dict[str, int]:
    items = {
        "Basketballs": dict(quantity=18, min_quantity=20, units=["Basketball"]),  # low
        "Hoops": dict(condition="damaged", units=["Basketball"]),  # damaged, inspected recently
        "AED": dict(inspection_interval_days=30, units=[]),  # last inspection 40 days ago: overdue 10 days
        "Mats": dict(units=[]),  # never inspected
        "Pool noodles": dict(condition="damaged", units=["Swimming"]),  # not for basketball
        "Old cones": dict(condition="retired", units=[]),  # ignored
        "Cones": dict(units=[]),  # fine
    }
    ids = {}
    async with d.sessions() as s, s.begin():
        for name, extra in items.items():
            row = Equipment(school_id=d.school_a, name=name, category="x", **{"quantity": 1, "min_quantity": 1,
                            "condition": "good", "inspection_interval_days": 365, **extra})
            s.add(row)
            await s.flush()
            ids[name] = row.id
    inspected = {"Basketballs": 10, "Hoops": 5, "AED": 40, "Pool noodles": 5, "Old cones": 900, "Cones": 100}
    await d.add(EquipmentInspection, [{"equipment_id": ids[n], "inspected_on": TODAY - timedelta(days=ago),
                                       "result": "pass"} for n, ago in inspected.items()])
    return ids


async def test_equipment_flags_overdue_damaged_and_low_items(district: District_, widgets: WidgetService) -> None:
    await _equipment(district)
    r = await widgets.run(district.tess, "equipment", now=NOW)
    assert r.headline() == {"Inspection overdue": "2", "Damaged": "2", "Below minimum": "1", "Items checked": "6"}
    assert r.table is not None and [row[:2] for row in r.table.rows] == [
        ("AED", "inspection overdue 10 days"), ("Basketballs", "below minimum (18 of 20)"), ("Hoops", "damaged"),
        ("Mats", "never inspected"), ("Pool noodles", "damaged")]
    for_class = await widgets.run(district.tess, "equipment", now=NOW, class_text="period 3")
    assert for_class.headline()["Items checked"] == "5"  # the Basketball unit's items and the general ones
    assert await audit_rows(district.sessions) == []  # equipment is not a student record


async def test_safety_risks_shows_flags_incidents_ratio_and_equipment_but_never_health_notes(
    district: District_, widgets: WidgetService
) -> None:
    d = district
    await _equipment(d)
    async with d.sessions() as s, s.begin():
        await s.execute(update(Student).where(Student.id == d.students["ann"])
                        .values(medical_flags=["Asthma: inhaler in PE office"]))
    await d.add(HealthNote, [{"student_id": d.students["ann"], "category": "asthma", "note": "SECRET NURSE NOTE"}])
    await d.add(Incident, [_incident(d, cls="p3", who="ben", day=date(2026, 11, 10), sev=Severity.serious),
                           _incident(d, cls="p3", who="cal", day=date(2026, 9, 1))])  # outside the 30 days
    r = await widgets.run(d.tess, "safety_risks", now=NOW, class_text="period 3")
    # 3 students at 1 adult per 2 → 2 adults; 1 recent incident; AED, Mats, Basketballs, Hoops need attention
    assert r.headline() == {"Students": "3", "Adults needed": "2", "Medical flags": "1", "Recent incidents": "1",
                            "Equipment issues": "4"}
    assert r.table is not None and r.table.rows == (("Ann Abbott", "Asthma: inhaler in PE office"),)
    assert "SECRET" not in repr(r) and "PRIVATE DESCRIPTION" not in repr(r)
    assert any(n.startswith("Nov 10: injury, serious") and "Ben Brown" in n for n in r.notes)
    shown = {row[2] for row in await audit_rows(d.sessions) if row[0] == "student.read"}
    assert shown == {d.students["ann"], d.students["ben"]}


async def test_safety_risks_refuses_another_teachers_class(district: District_, widgets: WidgetService) -> None:
    import pytest

    from domain.errors import NotAllowed

    with pytest.raises(NotAllowed):
        await widgets.run(district.theo, "safety_risks", now=NOW, class_text="period 3")
    assert (await audit_rows(district.sessions))[0][4] is False


async def test_incident_summary_is_the_teachers_classes_for_a_teacher_and_the_school_for_an_admin(
    district: District_, widgets: WidgetService
) -> None:
    d = district
    await d.add(Incident, [
        _incident(d, cls="p3", who="ann", day=date(2026, 11, 2), sev=Severity.minor, location="Gym"),
        _incident(d, cls="p5", who="dee", day=date(2026, 11, 3), kind="illness", sev=Severity.moderate,
                  status="closed", location="Field"),
        _incident(d, cls=None, who=None, day=date(2026, 11, 4), kind="near_miss", reporter=d.tess.staff_id,
                  location="Hall"),
        _incident(d, cls="p1", who="fay", day=date(2026, 11, 5), sev=Severity.critical),  # Theo's class
        _incident(d, cls="b2", who="hal", day=date(2026, 11, 5), school=d.school_b),  # another school
    ])
    mine = await widgets.run(d.tess, "incident_summary", now=NOW)
    assert mine.headline() == {"Incidents": "3", "Serious or critical": "0", "Open or follow-up": "2",
                               "Most common": "illness (1)"}
    school = await widgets.run(d.admin, "incident_summary", now=NOW)
    assert school.scope == "School A (school-wide)"
    assert school.headline()["Incidents"] == "4" and school.headline()["Serious or critical"] == "1"
    assert school.table is not None and school.table.rows[0] == ("injury", "1", "0", "0", "1", "2")
    assert "PRIVATE" not in repr(school)
    rows = await audit_rows(d.sessions)
    assert ("school.read", "school", d.school_a, "widget:incident_summary", True) in rows


async def test_drivers_ed_progress_against_the_requirement(district: District_, widgets: WidgetService) -> None:
    d = district
    at = datetime.combine(TODAY, time(16), TZ)
    await d.add(DriversEdProgress, [
        {"student_id": d.students["fay"], "classroom_hours": 30, "behind_wheel_hours": 6, "units_completed": 10,
         "units_required": 10, "updated_at": at},
        {"student_id": d.students["gus"], "classroom_hours": 13, "behind_wheel_hours": 2, "units_completed": 4,
         "units_required": 10, "updated_at": at},
    ])
    r = await widgets.run(d.theo, "drivers_ed_progress", now=NOW)
    assert r.scope == "Drivers Ed — Period 7"
    assert r.headline() == {"Students": "2", "All requirements met": "1", "Mean classroom hours": "21.5",
                            "Mean behind-the-wheel hours": "4"}
    assert r.table is not None and r.table.rows[0] == ("Gus Gray", "13 / 30", "2 / 6", "4 / 10")
    # classroom (100 + 43.3) / 2, behind the wheel (100 + 33.3) / 2, units (100 + 40) / 2
    assert r.chart is not None and r.chart.series[0].values == (71.7, 66.7, 70.0)
    none = await widgets.run(d.tess, "drivers_ed_progress", now=NOW)
    assert none.empty == "You have no Drivers Ed classes on record."


async def test_adaptive_pe_lists_students_with_adaptations(district: District_, widgets: WidgetService) -> None:
    d = district
    async with d.sessions() as s, s.begin():
        await s.execute(update(Student).where(Student.id == d.students["ben"])
                        .values(adaptations=["Hearing aid: face the student"]))
    r = await widgets.run(d.tess, "adaptive_pe", now=NOW, class_text="period 3")
    assert r.headline() == {"Students with adaptations": "1", "Share of students": "33.3%", "Adapted PE classes": "0"}
    assert r.table is not None and r.table.rows == (("Ben Brown", "Hearing aid: face the student", "Basketball"),)
    empty = await widgets.run(d.tess, "adaptive_pe", now=NOW, class_text="period 5")
    assert empty.empty and "No student" in empty.empty
