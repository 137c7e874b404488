"""EmergencyService on real PostgreSQL: who may start, answer, mark and close; re-sent actions change nothing more;
every action audited; the record kept with its times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.emergencies.types import RollUp, TeacherView
from domain.errors import InvalidInput, NotAllowed
from domain.seed.facts import DEMO
from tests.support.emergencies import ADMINS, NADIA, School

VIA = "test"


async def _audit(school: School, action: str) -> list[dict]:  # type: ignore[type-arg]
    return await school.rows("SELECT * FROM audit_log WHERE action = :a ORDER BY id", a=action)


async def test_a_drill_for_period_3_reaches_the_three_period_3_teachers_and_both_admins(school: School) -> None:
    megan = await school.actor(DEMO.megan.email)
    started = await school.service().start(megan, "evacuation", drill=True, period="3", via=VIA)
    assert started.created and started.classes == 3 and started.teachers == 3
    rows = await school.deliveries()
    assert sorted((r["email"], r["kind"]) for r in rows) == sorted(
        [(e, "teacher") for e in (DEMO.alex.email, DEMO.isaiah.email, NADIA)] + [(e, "admin") for e in ADMINS])
    classes = await school.rows("SELECT class_id, status FROM emergency_classes ORDER BY class_id")
    assert sorted(c["class_id"] for c in classes) == sorted(school.classes.values())  # type: ignore[union-attr]
    assert {c["status"] for c in classes} == {"unanswered"}
    assert len(await _audit(school, "emergency.start")) == 1


async def test_a_real_emergency_uses_the_clock_and_the_bell_schedule(school: School) -> None:
    megan = await school.actor(DEMO.megan.email)
    # Friday 20 Nov 2026, 10:00 in Chicago: period 3 (09:50–10:40) is in session; Alex's class and the two added.
    school.clock.now = school.clock.now.replace(hour=16, minute=0)
    started = await school.service().start(megan, "lockdown", drill=False, period=None, via=VIA)
    classes = await school.rows("SELECT c.period FROM emergency_classes ec JOIN classes c ON c.id = ec.class_id")
    assert started.classes == 3 and {c["period"] for c in classes} == {"3"}


async def test_a_teacher_or_the_nurse_cannot_start_or_close_one_and_the_refusal_is_audited(school: School) -> None:
    service = school.service()
    for email in (DEMO.alex.email, DEMO.adele.email):
        with pytest.raises(NotAllowed):
            await service.start(await school.actor(email), "evacuation", drill=True, period="3", via=VIA)
    assert await school.rows("SELECT id FROM emergencies") == []
    refusals = await _audit(school, "emergency.start")
    assert len(refusals) == 2 and not any(r["allowed"] for r in refusals)
    await service.start(await school.actor(DEMO.megan.email), "evacuation", drill=True, period="3", via=VIA)
    with pytest.raises(NotAllowed):
        await service.all_clear(await school.actor(DEMO.alex.email), via=VIA)
    assert (await school.rows("SELECT closed_at FROM emergencies"))[0]["closed_at"] is None


async def test_starting_twice_starts_one_emergency_and_sends_one_set_of_cards(school: School) -> None:
    service = school.service()
    first = await service.start(await school.actor(DEMO.megan.email), "evacuation", drill=True, period="3", via=VIA)
    again = await service.start(await school.actor(DEMO.lynne.email), "lockdown", drill=False, period=None, via=VIA)
    assert again.emergency_id == first.emergency_id and not again.created and again.kind == "evacuation"
    assert len(await school.rows("SELECT id FROM emergencies")) == 1
    assert len(await school.deliveries()) == 5
    assert len(await _audit(school, "emergency.start")) == 1


async def test_a_teacher_cannot_answer_or_mark_for_another_teachers_class(school: School) -> None:
    service = school.service()
    started = await service.start(await school.actor(DEMO.megan.email), "evacuation", drill=True, period="3", via=VIA)
    alex, isaiah = await school.actor(DEMO.alex.email), await school.actor(DEMO.isaiah.email)
    isaiah_class = school.classes[DEMO.isaiah.email]  # type: ignore[index]
    with pytest.raises(NotAllowed):
        await service.account(alex, started.emergency_id, isaiah_class, via=VIA)
    with pytest.raises(NotAllowed):
        await service.account(alex, started.emergency_id, isaiah_class,
                              missing=[(await school.roster(DEMO.isaiah.email))[0]], via=VIA)
    assert await school.rows("SELECT id FROM emergency_marks") == []
    assert (await school.rows("SELECT status FROM emergency_classes WHERE class_id = :c", c=isaiah_class))[0][
        "status"] == "unanswered"
    refused = await _audit(school, "emergency.account")
    assert len(refused) == 2 and not any(r["allowed"] for r in refused) and refused[0]["subject_id"] == isaiah_class
    # ...and a teacher cannot mark another class's missing student found.
    missing = (await school.roster(DEMO.isaiah.email))[0]
    await service.account(isaiah, started.emergency_id, isaiah_class, missing=[missing], via=VIA)
    with pytest.raises(NotAllowed):
        await service.found(alex, started.emergency_id, missing, via=VIA)
    # Students not on the teacher's roster can't be marked missing there.
    with pytest.raises(InvalidInput):
        await service.account(alex, started.emergency_id, school.classes[DEMO.alex.email],  # type: ignore[index]
                              missing=[missing], via=VIA)


async def test_all_here_pressed_twice_records_one_answer_and_one_audit_row(school: School) -> None:
    service = school.service()
    started = await service.start(await school.actor(DEMO.megan.email), "evacuation", drill=True, period="3", via=VIA)
    alex = await school.actor(DEMO.alex.email)
    alex_class = school.classes[DEMO.alex.email]  # type: ignore[index]
    first = await service.account(alex, started.emergency_id, alex_class, via=VIA)
    answered = (await school.rows("SELECT status, answered_at FROM emergency_classes WHERE class_id = :c",
                                  c=alex_class))[0]
    school.clock.advance(seconds=20)
    second = await service.account(alex, started.emergency_id, alex_class, via=VIA)
    assert first.changed and not second.changed and second.status == "all_here"
    again = (await school.rows("SELECT status, answered_at FROM emergency_classes WHERE class_id = :c",
                               c=alex_class))[0]
    assert again == answered and again["status"] == "all_here"
    assert len(await _audit(school, "emergency.account")) == 1
    assert (await school.rows("SELECT version FROM emergencies"))[0]["version"] == 1


async def test_missing_then_found_keeps_both_marks_with_times_and_found_twice_changes_nothing(school: School) -> None:
    service = school.service()
    megan = await school.actor(DEMO.megan.email)
    started = await service.start(megan, "evacuation", drill=True, period="3", via=VIA)
    isaiah = await school.actor(DEMO.isaiah.email)
    student = (await school.roster(DEMO.isaiah.email))[2]
    reported_at = school.clock.now
    await service.account(isaiah, started.emergency_id, school.classes[DEMO.isaiah.email], missing=[student], via=VIA)  # type: ignore[index]
    view = await service.view(megan, started.emergency_id, via=VIA)
    assert isinstance(view, RollUp) and [m.student_id for m in view.missing] == [student]
    school.clock.advance(minutes=2)
    assert (await service.found(megan, started.emergency_id, student, via=VIA)).changed
    assert not (await service.found(megan, started.emergency_id, student, via=VIA)).changed
    marks = await school.rows("SELECT mark, marked_at FROM emergency_marks WHERE student_id = :s ORDER BY id",
                              s=student)
    assert [m["mark"] for m in marks] == ["missing", "found"]
    assert [m["marked_at"] for m in marks] == [reported_at, school.clock.now]
    view = await service.view(megan, started.emergency_id, via=VIA)
    assert isinstance(view, RollUp) and view.missing == () and view.found == 1
    assert len(await _audit(school, "emergency.mark.found")) == 1


async def test_a_student_with_another_teacher_is_accounted_for(school: School) -> None:
    service = school.service()
    megan = await school.actor(DEMO.megan.email)
    started = await service.start(megan, "lockdown", drill=True, period="3", via=VIA)
    isaiah, nadia = await school.actor(DEMO.isaiah.email), await school.actor(NADIA)
    student = (await school.roster(DEMO.isaiah.email))[0]
    await service.account(isaiah, started.emergency_id, school.classes[DEMO.isaiah.email], missing=[student], via=VIA)  # type: ignore[index]
    nadia_view = await service.view(nadia, started.emergency_id, via=VIA)
    assert isinstance(nadia_view, TeacherView) and [s.student_id for s in nadia_view.missing_elsewhere] == [student]
    nadia_class = school.classes[NADIA]  # type: ignore[index]
    assert (await service.with_me(nadia, started.emergency_id, nadia_class, student, via=VIA)).changed
    assert not (await service.with_me(nadia, started.emergency_id, nadia_class, student, via=VIA)).changed
    view = await service.view(megan, started.emergency_id, via=VIA)
    assert isinstance(view, RollUp) and view.missing == ()
    tally = {c.class_id: c for c in view.classes}[school.classes[DEMO.isaiah.email]]  # type: ignore[index]
    assert tally.with_other_teacher == 1 and tally.missing == 0


async def test_all_clear_closes_it_once_keeps_the_record_and_later_presses_change_nothing(school: School) -> None:
    service = school.service()
    megan = await school.actor(DEMO.megan.email)
    started = await service.start(megan, "severe weather", drill=False, period="3", via=VIA)
    school.clock.advance(minutes=7)
    closed = await service.all_clear(megan, via=VIA)
    again = await service.all_clear(megan, via=VIA)
    assert closed.closed_now and closed.emergency_id == started.emergency_id
    assert not again.closed_now and again.emergency_id == started.emergency_id
    record = (await school.rows("SELECT * FROM emergencies"))[0]
    assert record["kind"] == "severe_weather" and record["drill"] is False
    assert record["closed_at"] == school.clock.now and record["started_at"] == school.clock.now - timedelta(minutes=7)
    with pytest.raises(InvalidInput):
        await service.account(await school.actor(DEMO.alex.email), started.emergency_id,
                              school.classes[DEMO.alex.email], via=VIA)  # type: ignore[index]
    assert len(await _audit(school, "emergency.all_clear")) == 1
    # A new one may start after the all clear.
    assert (await service.start(megan, "evacuation", drill=True, period="3", via=VIA)).created


async def test_bad_input_is_refused_and_changes_nothing(school: School) -> None:
    service = school.service()
    megan = await school.actor(DEMO.megan.email)
    with pytest.raises(InvalidInput):
        await service.start(megan, "zombie", drill=True, period="3", via=VIA)
    with pytest.raises(InvalidInput):
        await service.start(megan, "evacuation", drill=True, period="3; DROP", via=VIA)
    assert await school.rows("SELECT id FROM emergencies") == []
