"""Fitness results: the service on real PostgreSQL (zones from the published bands, one save per card, only the
caller's students, per-field errors) and the flow through the app over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from domain.errors import InvalidInput, NotAllowed
from domain.models import AuditLog, FitnessTest
from domain.records.fitness import FitnessService, validate_fitness
from domain.widgets import WidgetService
from tests.support.app_client import BotClient
from tests.support.card_flow import card_action as _action
from tests.support.card_flow import card_inputs as _inputs
from tests.support.card_flow import execute
from tests.support.district import NOW, District_

TODAY = NOW.date()


def _draft(d: District_, test: str, values: dict[str, str], cls: str | None = "p3", day=TODAY):  # type: ignore[no-untyped-def]
    return validate_fitness({"class_id": d.classes[cls] if cls else None, "test": test, "day": day.isoformat(),
                             "values": {str(d.students[k]): v for k, v in values.items()}}, TODAY)


async def _results(d: District_) -> list[tuple[int, str, float, str]]:
    async with d.sessions() as s:
        rows = await s.execute(select(FitnessTest.student_id, FitnessTest.test, FitnessTest.value, FitnessTest.unit))
        return sorted(tuple(r) for r in rows)  # type: ignore[misc]


async def test_results_are_saved_once_and_placed_in_the_published_zone(district: District_, widgets: WidgetService) -> None:
    # Ann (F, 12 on Nov 20 2026) and Ben (M, 12): the published PACER minimum at 12 is 23 laps for both.
    service = FitnessService(district.sessions)
    assert (await widgets.run(district.tess, "fitness_trends", now=NOW, class_text="p3")).empty
    saved = await service.save(district.tess, _draft(district, "pacer", {"ann": "23", "ben": "22", "cal": ""}), "k1",
                               via="test")
    assert saved.created and saved.count == 2 and saved.in_zone == 1
    assert saved.zones == (("Ann Abbott", "23 laps", "Healthy Fitness Zone"), ("Ben Brown", "22 laps", "Needs Improvement"))
    again = await service.save(district.tess, _draft(district, "pacer", {"ann": "40"}), "k1", via="test")
    assert not again.created
    s = district.students
    assert await _results(district) == [(s["ann"], "pacer", 23.0, "laps"), (s["ben"], "pacer", 22.0, "laps")]
    async with district.sessions() as db:
        audited = await db.scalar(select(func.count()).where(AuditLog.action == "fitness.record"))
    assert audited == 2
    after = await widgets.run(district.tess, "fitness_trends", now=NOW, class_text="p3")
    assert after.headline()["In healthy zone"] == "50.0%" and after.headline()["Students tested"] == "2 of 3"


async def test_a_trunk_lift_above_the_band_maximum_and_a_mile_time_are_handled(district: District_) -> None:
    service = FitnessService(district.sessions)
    saved = await service.save(district.tess, _draft(district, "trunk_lift", {"ann": "12", "ben": "8.5"}), "k1",
                               via="test")
    assert [z[2] for z in saved.zones] == ["Healthy Fitness Zone", "Needs Improvement"]  # 9–12 inches from age 10
    mile = await service.save(district.tess, _draft(district, "mile_run", {"ann": "9:42"}), "k2", via="test")
    assert mile.zones == (("Ann Abbott", "9:42", "no standard"),)  # FitnessGram scores the mile with BMI: left out
    assert (district.students["ann"], "mile_run", 582.0, "s") in await _results(district)


def test_bad_values_are_refused_per_student(district: District_) -> None:
    with pytest.raises(InvalidInput) as caught:
        _draft(district, "pacer", {"ann": "-3", "ben": "lots", "cal": "12.5"})
    s = district.students
    assert caught.value.field_errors == {f"student_{s['ann']}": "Must be between 0 and 250.",
                                         f"student_{s['ben']}": "Give a number.",
                                         f"student_{s['cal']}": "Whole numbers only."}
    with pytest.raises(InvalidInput) as future:
        _draft(district, "push_ups", {"ann": "10"}, day=TODAY + timedelta(days=1))
    assert future.value.field_errors == {"day": "A test can't be recorded for a future date."}
    with pytest.raises(InvalidInput) as mile:
        _draft(district, "mile_run", {"ann": "9.42"})
    assert mile.value.field_errors == {f"student_{s['ann']}": "Give the time as minutes:seconds, e.g. 9:45."}


async def test_only_the_callers_students_and_the_refusal_is_audited(district: District_) -> None:
    service = FitnessService(district.sessions)
    with pytest.raises(NotAllowed):
        await service.save(district.tess, _draft(district, "pacer", {"fay": "30"}, cls=None), "k1", via="test")
    with pytest.raises(NotAllowed):
        await service.save(district.tara, _draft(district, "pacer", {"ann": "30"}), "k2", via="test")
    with pytest.raises(InvalidInput) as stranger:
        await service.save(district.tess, _draft(district, "pacer", {"dee": "30"}), "k3", via="test")  # Tess's p5
    assert stranger.value.field_errors == {f"student_{district.students['dee']}": "Not in this class."}
    assert await _results(district) == []
    async with district.sessions() as db:
        refused = await db.scalar(select(func.count()).where(AuditLog.action == "fitness.record",
                                                             AuditLog.allowed.is_(False)))
    assert refused == 2
    nurse = await service.save(district.nurse, _draft(district, "pacer", {"fay": "30"}, cls=None), "k4", via="test")
    assert nurse.created


def _t(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def test_pacer_laps_for_three_students_from_chat_through_the_app(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    await bot.post(activity(connector.url, text="Eva 42 PACER laps, Oliver 31, Kate Brooks 28"))
    message = connector.messages()[-1]
    assert "nothing is recorded until you do" in message["text"]
    card = message["attachments"][0]["content"]
    values = _inputs(card)
    assert values["test"] == "pacer"
    typed = sorted(v for k, v in values.items() if k.startswith("f_"))
    assert typed == ["28", "31", "42"]
    before = await _count(demo_sessions)
    press = execute(connector, _action(card, "Save"), values)
    status, body = await bot.post(press)
    assert status == 200 and "Saved 3 PACER (laps) results" in _t(body)
    assert "Healthy Fitness Zone" in _t(body)
    status, body = await bot.post({**press, "id": "resent"})
    assert "already saved" in _t(body)
    assert await _count(demo_sessions) == before + 3


async def test_a_bad_value_comes_back_in_the_card_and_nothing_is_saved(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    await bot.post(activity(connector.url, text="record push-ups for period 3"))
    card = connector.messages()[-1]["attachments"][0]["content"]
    values = _inputs(card)
    assert values["test"] == "push_ups" and sum(k.startswith("f_") for k in values) == 23
    first = next(k for k in values if k.startswith("f_"))
    values[first] = "-4"
    before = await _count(demo_sessions)
    status, body = await bot.post(execute(connector, _action(card, "Save"), values))
    assert status == 200 and "Must be between 0 and 100." in _t(body) and "nothing was saved" in _t(body)
    assert await _count(demo_sessions) == before


async def _count(sessions) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return await s.scalar(select(func.count()).select_from(FitnessTest)) or 0
