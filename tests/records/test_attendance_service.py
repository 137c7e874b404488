"""AttendanceService on real PostgreSQL: one statement saves the class, latest wins and corrections are audited,
a card's key saves once, only the caller's classes, and bad input changes nothing (per-field errors)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from domain.errors import InvalidInput, NotAllowed
from domain.models import Attendance, AuditLog
from domain.records.attendance import AttendanceService, validate_attendance
from domain.widgets import WidgetService
from tests.support.district import NOW, District_

TODAY = NOW.date()
VIA = "test"


def _draft(d: District_, cls: str, marks: dict[str, tuple[str, str | None]], day: date = TODAY):  # type: ignore[no-untyped-def]
    return validate_attendance({"class_id": d.classes[cls], "day": day.isoformat(), "marks": [
        {"student_id": d.students[s], "status": st, "reason": r} for s, (st, r) in marks.items()]}, TODAY)


async def _rows(d: District_) -> dict[int, tuple[str, str | None]]:
    async with d.sessions() as s:
        return {r.student_id: (r.status, r.reason) for r in (await s.execute(select(Attendance))).scalars()}


async def _audits(d: District_, action: str) -> list[tuple[int, str | None]]:
    async with d.sessions() as s:
        rows = await s.execute(select(AuditLog.subject_id, AuditLog.reason).where(AuditLog.action == action)
                               .order_by(AuditLog.subject_id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


P3 = {"ann": ("present", None), "ben": ("absent", None), "cal": ("sat_out", "injury")}


async def test_saving_a_class_writes_every_student_and_an_audit_row_each_and_the_widget_changes_at_once(
    district: District_, widgets: WidgetService
) -> None:
    before = await widgets.run(district.tess, "attendance", now=NOW, class_text="period 3")
    assert before.empty
    saved = await AttendanceService(district.sessions).save(district.tess, _draft(district, "p3", P3), "k1", via=VIA)
    assert saved.created and saved.counts == {"present": 1, "absent": 1, "sat_out": 1}
    s = district.students
    assert await _rows(district) == {s["ann"]: ("present", None), s["ben"]: ("absent", None),
                                     s["cal"]: ("sat_out", "injury")}
    assert [sid for sid, _ in await _audits(district, "attendance.record")] == sorted(s[k] for k in ("ann", "ben", "cal"))
    after = await widgets.run(district.tess, "attendance", now=NOW, class_text="period 3")
    # sat out counts as attended (in class); Ben's absence puts him below 90 %
    assert after.headline()["Attendance rate"] == "66.7%" and after.headline()["Below 90%"] == "1"


async def test_the_same_card_saved_twice_writes_nothing_more(district: District_) -> None:
    service = AttendanceService(district.sessions)
    await service.save(district.tess, _draft(district, "p3", P3), "k1", via=VIA)
    again = await service.save(district.tess, _draft(district, "p3", {"ann": ("absent", None)}), "k1", via=VIA)
    assert not again.created and again.counts == {"present": 1, "absent": 1, "sat_out": 1}
    assert (await _rows(district))[district.students["ann"]] == ("present", None)
    assert len(await _audits(district, "attendance.record")) == 3
    assert await _audits(district, "attendance.correct") == []


async def test_a_correction_on_a_new_card_wins_and_is_audited_with_the_earlier_status(district: District_) -> None:
    service = AttendanceService(district.sessions)
    await service.save(district.tess, _draft(district, "p3", P3), "k1", via=VIA)
    fixed = await service.save(district.tess, _draft(district, "p3", {**P3, "ben": ("tardy", None)}), "k2", via=VIA)
    assert fixed.created and fixed.corrected == 1
    assert (await _rows(district))[district.students["ben"]] == ("tardy", None)
    assert await _audits(district, "attendance.correct") == [(district.students["ben"], "was absent")]
    assert len(await _audits(district, "attendance.confirm")) == 2


async def test_reopening_the_day_shows_what_was_saved(district: District_) -> None:
    service = AttendanceService(district.sessions)
    await service.save(district.tess, _draft(district, "p3", P3), "k1", via=VIA)
    sheet = await service.sheet(district.tess, class_text="p3", day=TODAY, now=NOW, via=VIA)
    assert sheet.already_saved and sheet.class_name == "PE 7 — Period 3"
    assert [(line.name, line.status, line.reason, line.saved) for line in sheet.lines] == [
        ("Ann Abbott", "present", None, True), ("Ben Brown", "absent", None, True),
        ("Cal Cole", "sat_out", "injury", True)]


async def test_a_teacher_cannot_record_another_teachers_class_and_the_refusal_is_audited(district: District_) -> None:
    service = AttendanceService(district.sessions)
    draft = _draft(district, "p1", {"fay": ("absent", None)})
    with pytest.raises(NotAllowed):
        await service.save(district.tess, draft, "k1", via=VIA)
    with pytest.raises(NotAllowed):
        await service.save(district.tara, draft, "k2", via=VIA)  # another school's teacher
    assert await _rows(district) == {}
    async with district.sessions() as s:
        refused = await s.scalar(select(func.count()).where(AuditLog.action == "attendance.record",
                                                            AuditLog.allowed.is_(False)))
    assert refused == 2
    saved = await service.save(district.admin, draft, "k3", via=VIA)  # the school's admin may
    assert saved.created


async def test_a_student_not_in_the_class_is_a_field_error_and_nothing_is_saved(district: District_) -> None:
    draft = _draft(district, "p3", {**P3, "dee": ("absent", None)})
    with pytest.raises(InvalidInput) as caught:
        await AttendanceService(district.sessions).save(district.tess, draft, "k1", via=VIA)
    assert caught.value.field_errors == {f"student_{district.students['dee']}": "Not in this class."}
    assert await _rows(district) == {}


def test_a_future_date_or_a_sat_out_without_a_reason_is_refused_per_field(district: District_) -> None:
    with pytest.raises(InvalidInput) as future:
        _draft(district, "p3", P3, day=TODAY + timedelta(days=1))
    assert future.value.field_errors == {"day": "Attendance can't be taken for a future date."}
    with pytest.raises(InvalidInput) as reason:
        _draft(district, "p3", {"cal": ("sat_out", None)})
    assert reason.value.field_errors == {"marks": "Sat out: pick a reason."}


async def test_names_without_a_class_open_the_class_that_holds_them_and_unknown_names_are_reported(
    district: District_,
) -> None:
    service = AttendanceService(district.sessions)
    sheet = await service.sheet(district.tess, class_text=None, day=TODAY, now=NOW, via=VIA,
                                marks=[("Ben", "absent", None), ("Eve", "tardy", None), ("Zed Nobody", "absent", None)])
    assert sheet.class_name == "PE 7 — Period 3"  # Ben is there; Eve is in period 5; Zed is nowhere
    assert {line.name: line.status for line in sheet.lines} == {"Ann Abbott": "present", "Ben Brown": "absent",
                                                                "Cal Cole": "present"}
    assert set(sheet.unmatched) == {"Eve", "Zed Nobody"}
    with pytest.raises(InvalidInput, match="Which class"):
        await service.sheet(district.tess, class_text=None, day=TODAY, now=NOW, via=VIA)  # two classes, none now


async def test_every_audit_row_of_a_save_keeps_where_it_was_made_and_another_persons_card_is_refused(
    district: District_,
) -> None:
    service = AttendanceService(district.sessions)
    in_team = replace(district.tess, conversation_type="channel")
    await service.save(in_team, _draft(district, "p3", P3), "k1", via=VIA)
    with pytest.raises(NotAllowed, match="someone else"):  # the admin may record period 3, but not on Tess's card
        await service.save(district.admin, _draft(district, "p3", P3), "k1", via=VIA)
    async with district.sessions() as s:
        kinds = (await s.execute(select(AuditLog.conversation_type).where(
            AuditLog.action == "attendance.record"))).scalars().all()
    assert kinds == ["channel"] * 3
    assert await _rows(district) == {district.students[k]: v for k, v in P3.items()}
