"""Attendance through the app over HTTP (fake Bot Connector): chat shorthand → a prefilled card, Save (Execute and
the Submit fallback), a second press or re-send writes nothing, re-opening shows what was saved, corrections are
audited, bad values come back in the card per student, and a class of 40 fits Teams' message size."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from devtools.fakes.activities import ALEX, TENANT, activity
from devtools.fakes.connector import FakeConnector
from domain.identity import IdentityService
from domain.models import Attendance, AuditLog, Enrollment, SchoolClass, Staff, Student
from domain.widgets import WidgetService
from tests.support.app_client import BotClient
from tests.support.card_flow import card_action as _action
from tests.support.card_flow import card_inputs as _inputs
from tests.support.card_flow import execute

TEAMS_RECOMMENDED_BYTES = 80 * 1024


def _t(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _card(connector: FakeConnector) -> dict[str, Any]:
    return connector.messages()[-1]["attachments"][0]["content"]


async def _period_1(sessions) -> tuple[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        class_id = (await s.execute(select(SchoolClass.id).join(Staff, Staff.id == SchoolClass.teacher_id)
                                    .where(Staff.aad_object_id == ALEX, SchoolClass.period == "1"))).scalar_one()
        rows = await s.execute(select(Student.id, Student.first_name, Student.last_name)
                               .join(Enrollment, Enrollment.student_id == Student.id)
                               .where(Enrollment.class_id == class_id))
        return class_id, {f"{f} {last}": sid for sid, f, last in rows}


async def _saved(sessions, class_id: int, day) -> dict[int, tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        rows = await s.execute(select(Attendance.student_id, Attendance.status, Attendance.reason)
                               .where(Attendance.class_id == class_id, Attendance.day == day))
        return {sid: (st, r) for sid, st, r in rows}


async def _audit_count(sessions, action: str) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return await s.scalar(select(func.count()).where(AuditLog.action == action)) or 0


async def test_chat_shorthand_prefills_the_card_and_save_writes_the_class_once(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    class_id, students = await _period_1(demo_sessions)
    await bot.post(activity(connector.url, text="Eli and Jamie absent in period 1, Kate sat out with a sore knee"))
    message = connector.messages()[-1]
    assert "nothing is recorded until you do" in message["text"]
    assert "Kate" in message["text"], "Kate is not in period 1: the reply says she was not matched"
    card = message["attachments"][0]["content"]
    values = _inputs(card)
    assert values[f"a_{students['Eli Navarro']}"] == "absent"
    assert values[f"a_{students['Jamie Ortiz']}"] == "absent"
    assert sum(v == "present" for v in values.values()) == len(students) - 2
    save = _action(card, "Save")
    day = datetime.fromisoformat(save["data"]["day"]).date()
    assert await _saved(demo_sessions, class_id, day) == {}, "nothing is saved before Save"

    press = execute(connector, save, values)
    status, body = await bot.post(press)
    assert status == 200 and "Saved attendance for PE 6 — Period 1" in _t(body)
    saved = await _saved(demo_sessions, class_id, day)
    assert len(saved) == len(students) and saved[students["Eli Navarro"]] == ("absent", None)
    records = await _audit_count(demo_sessions, "attendance.record")
    assert records == len(students)

    status, body = await bot.post({**press, "id": "teams-resent-it"})
    assert status == 200 and "already saved; nothing new was written" in _t(body)
    assert await _audit_count(demo_sessions, "attendance.record") == records
    assert len(await _saved(demo_sessions, class_id, day)) == len(students)

    # The widget shows the new day at once.
    actor = await IdentityService(demo_sessions).resolve(TENANT, ALEX)
    assert actor is not None
    now = datetime.combine(day, datetime.min.time(), ZoneInfo(actor.time_zone)).replace(hour=15)
    widget = await WidgetService(demo_sessions).run(actor, "attendance", now=now, class_text="period 1", period_days=1)
    assert widget.as_of == day and widget.headline()["Students"] == str(len(students))


async def test_reopening_the_day_shows_what_was_saved_and_a_correction_is_audited(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    class_id, students = await _period_1(demo_sessions)
    await bot.post(activity(connector.url, text="Eli Navarro absent in period 1"))
    card = _card(connector)
    await bot.post(execute(connector, _action(card, "Save"), _inputs(card)))

    await bot.post(activity(connector.url, text="take attendance for period 1"))
    card = _card(connector)
    values = _inputs(card)
    assert values[f"a_{students['Eli Navarro']}"] == "absent", "the saved status is shown"
    assert "saved before" in _t(card)
    values[f"a_{students['Eli Navarro']}"] = "tardy"
    values[f"a_{students['Mia Woods']}"] = "sat_out:no_kit"
    status, body = await bot.post(execute(connector, _action(card, "Save"), values))
    assert status == 200 and "2 corrections recorded" in _t(body)
    day = datetime.fromisoformat(_action(card, "Save")["data"]["day"]).date()
    saved = await _saved(demo_sessions, class_id, day)
    assert saved[students["Eli Navarro"]] == ("tardy", None) and saved[students["Mia Woods"]] == ("sat_out", "no_kit")
    async with demo_sessions() as s:
        reasons = set((await s.execute(select(AuditLog.reason).where(AuditLog.action == "attendance.correct"))).scalars())
    assert reasons == {"was absent", "was present"}


async def test_bad_values_come_back_in_the_card_per_student_and_nothing_is_saved(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    class_id, students = await _period_1(demo_sessions)
    await bot.post(activity(connector.url, text="take attendance for period 1"))
    card = _card(connector)
    values = _inputs(card)
    eli = students["Eli Navarro"]
    values[f"a_{eli}"] = "sat_out:"  # sat out without a reason
    values["a_999999"] = "absent"  # a student who is not in the class
    save = _action(card, "Save")
    status, body = await bot.post(execute(connector, save, values))
    assert status == 200
    text = _t(body)
    assert "nothing was saved" in text and "Pick one (for sat out, the reason)." in text
    day = datetime.fromisoformat(save["data"]["day"]).date()
    assert await _saved(demo_sessions, class_id, day) == {}
    values[f"a_{eli}"] = "absent"
    status, body = await bot.post(execute(connector, save, values))
    assert "Not in this class." in _t(body)
    assert await _saved(demo_sessions, class_id, day) == {}
    future = {**save, "data": {**save["data"], "day": "2999-01-01"}}
    values.pop("a_999999")
    status, body = await bot.post(execute(connector, future, values))
    assert "future date" in _t(body)
    assert await _saved(demo_sessions, class_id, day) == {}


async def test_another_teachers_class_is_refused_and_audited(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="take attendance for period 1"))
    card = _card(connector)
    async with demo_sessions() as s:
        other = (await s.execute(select(SchoolClass.id).join(Staff, Staff.id == SchoolClass.teacher_id)
                                 .where(Staff.aad_object_id != ALEX).limit(1))).scalar_one()
    save = _action(card, "Save")
    forged = {**save, "data": {**save["data"], "class_id": other}}
    status, body = await bot.post(execute(connector, forged, _inputs(card)))
    assert status == 200 and "your own classes" in _t(body)
    async with demo_sessions() as s:
        refused = await s.scalar(select(func.count()).where(AuditLog.action == "attendance.record",
                                                            AuditLog.allowed.is_(False), AuditLog.subject_id == other))
        written = await s.scalar(select(func.count()).select_from(Attendance).where(Attendance.class_id == other,
                                                                                      Attendance.recorded_by.is_not(None)))
    assert refused == 1 and written == 0


async def test_a_class_of_40_fits_teams_recommended_message_size(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    class_id, students = await _period_1(demo_sessions)
    async with demo_sessions() as s, s.begin():
        extra = (await s.execute(select(Student.id).where(Student.id.not_in(list(students.values())))
                                 .order_by(Student.id).limit(40 - len(students)))).scalars().all()
        await s.execute(insert(Enrollment), [{"class_id": class_id, "student_id": sid, "keep_apart_from": []}
                                             for sid in extra])
    await bot.post(activity(connector.url, text="take attendance for period 1"))
    message = connector.messages()[-1]
    card = message["attachments"][0]["content"]
    assert sum(1 for e in card["body"] if e.get("type") == "Input.ChoiceSet") == 40
    size = len(json.dumps(message, separators=(",", ":")).encode())
    print(f"\nattendance card, class of 40: whole activity {size} bytes ({size / 1024:.1f} KB) "
          f"vs Teams' 80 KB recommendation / 100 KB limit")
    assert size < TEAMS_RECOMMENDED_BYTES
