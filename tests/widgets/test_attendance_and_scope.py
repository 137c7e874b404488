"""attendance on hand-built rows, and who may run widgets on which class (refusals audited)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidInput, NotAllowed
from domain.models import Attendance
from domain.widgets import WidgetService
from tests.support.district import NOW, District_, audit_rows

DAYS = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)]


async def _marks(d: District_, cls: str, marks: dict[str, str], days: list[date] = DAYS) -> None:
    rows = [{"class_id": d.classes[cls], "student_id": d.students[s], "day": day, "status": status}
            for s, statuses in marks.items() for day, status in zip(days, statuses.split(), strict=True)]
    await d.add(Attendance, rows)


P3 = {"ann": "present present absent tardy", "ben": "present present present present",
      "cal": "present excused absent present"}


async def test_attendance_rates_and_chronic_risk_match_a_hand_count(district: District_, widgets: WidgetService) -> None:
    await _marks(district, "p3", P3)
    r = await widgets.run(district.tess, "attendance", now=NOW, class_text="period 3")
    # attended = present + tardy: ann 3/4, ben 4/4, cal 2/4 → class 9/12
    assert r.headline() == {"Attendance rate": "75.0%", "Below 90%": "2", "Students": "3", "Days recorded": "4"}
    assert r.table is not None and [row[:3] for row in r.table.rows] == [("Cal Cole", "50.0%", "2"),
                                                                        ("Ann Abbott", "75.0%", "1")]
    assert r.scope == "PE 7 — Period 3" and r.as_of == date(2026, 11, 19)
    assert r.period is not None and r.period.end == NOW.date() and r.period.days == 30
    rows = await audit_rows(district.sessions)
    assert ("class.read", "class", district.classes["p3"], "widget:attendance", True) in rows
    shown = {row[2] for row in rows if row[0] == "student.read"}
    assert shown == {district.students["ann"], district.students["cal"]}, "one audit row per student shown"
    assert set(r.student_ids) == shown


async def test_attendance_trend_compares_the_last_two_weeks_with_before(district: District_, widgets: WidgetService) -> None:
    early = [date(2026, 10, 26), date(2026, 10, 27), date(2026, 10, 28), date(2026, 10, 29)]
    await _marks(district, "p3", {"ann": "present present present present"}, early)
    await _marks(district, "p3", {"ann": "present absent absent present"})
    r = await widgets.run(district.tess, "attendance", now=NOW, class_text="p3")
    assert r.table is not None and r.table.rows == (("Ann Abbott", "75.0%", "2", "worsening"),)


async def test_one_students_attendance(district: District_, widgets: WidgetService) -> None:
    await _marks(district, "p3", P3)
    r = await widgets.run(district.tess, "attendance", now=NOW, class_text="PE 7", student_text="ann abbot")
    assert r.headline() == {"Attendance rate": "75.0%", "Days missed": "1", "Tardies": "1", "Days recorded": "4"}
    assert r.table is not None and r.table.rows == (("Wed Nov 18", "absent"),)
    assert r.student_names == ("Ann Abbott",)


async def test_no_attendance_in_the_period_is_an_honest_empty_state(district: District_, widgets: WidgetService) -> None:
    await _marks(district, "p3", P3)
    r = await widgets.run(district.tess, "attendance", now=NOW, class_text="period 3", period_days=1)
    assert r.empty and "No attendance" in r.empty
    assert r.metrics == () and r.table is None and r.chart is None


async def test_without_a_class_a_teacher_gets_all_their_classes(district: District_, widgets: WidgetService) -> None:
    await _marks(district, "p3", P3)
    await _marks(district, "p5", {"dee": "present present present present", "eve": "absent absent absent absent"})
    await _marks(district, "p1", {"fay": "absent absent absent absent"})  # Theo's class: not Tess's business
    r = await widgets.run(district.tess, "attendance", now=NOW)
    assert r.scope == "your 2 classes"
    assert r.headline()["Attendance rate"] == "65.0%"  # (9 + 4) / 20
    assert r.chart is not None and r.chart.kind == "bar" and r.chart.labels == ("PE 7 — Period 3", "PE 8 — Period 5")
    assert r.table is not None and r.table.rows[0][:3] == ("Eve Evans", "PE 8 — Period 5", "0.0%")


async def test_a_teacher_cannot_run_a_widget_on_another_teachers_class_and_the_refusal_is_audited(
    district: District_, widgets: WidgetService
) -> None:
    await _marks(district, "p1", {"fay": "present present present present"})
    with pytest.raises(NotAllowed) as refused:
        await widgets.run(district.tess, "attendance", now=NOW, class_text="period 1")
    assert "PE 7 — Period 3" in str(refused.value) and "Fay" not in str(refused.value)
    rows = await audit_rows(district.sessions)
    assert rows == [("class.read", "class", district.classes["p1"], "widget:attendance", False)]


async def test_an_admin_reads_any_class_of_their_school_but_not_another_school(
    district: District_, widgets: WidgetService
) -> None:
    await _marks(district, "p1", {"fay": "present present present present"})
    r = await widgets.run(district.admin, "attendance", now=NOW, class_text="period 1")
    assert r.headline()["Attendance rate"] == "100.0%"
    with pytest.raises(InvalidInput, match="couldn't find"):
        await widgets.run(district.admin, "attendance", now=NOW, class_text="PE 9")  # School B's: not even named


async def test_unknown_and_ambiguous_classes_list_the_callers_classes(district: District_, widgets: WidgetService) -> None:
    with pytest.raises(InvalidInput, match=r"couldn't find.*PE 7 — Period 3, PE 8 — Period 5"):
        await widgets.run(district.tess, "attendance", now=NOW, class_text="period 9")
    with pytest.raises(InvalidInput, match="matches 2 classes"):
        await widgets.run(district.tess, "attendance", now=NOW, class_text="PE")
    with pytest.raises(InvalidInput, match="one class: which one"):
        await widgets.run(district.tess, "teams", now=NOW)
    assert await audit_rows(district.sessions) == []


async def test_a_student_outside_the_callers_classes_is_not_found_and_the_attempt_is_audited(
    district: District_, widgets: WidgetService
) -> None:
    with pytest.raises(InvalidInput, match="No student called 'Fay Fox'"):
        await widgets.run(district.tess, "attendance", now=NOW, student_text="Fay Fox")
    assert await audit_rows(district.sessions) == [
        ("student.read", "student", district.students["fay"], "widget:attendance", False)]


@pytest.mark.parametrize("days", [0, 366])
async def test_period_days_outside_1_to_365_is_refused(district: District_, widgets: WidgetService, days: int) -> None:
    with pytest.raises(InvalidInput, match="between 1 and 365"):
        await widgets.run(district.tess, "attendance", now=NOW, period_days=days)


async def test_an_unknown_widget_lists_the_available_ones(district: District_, widgets: WidgetService) -> None:
    with pytest.raises(InvalidInput, match="attendance, teams"):
        await widgets.run(district.tess, "horoscope", now=NOW)
