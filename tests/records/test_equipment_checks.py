"""Equipment checks: a failed piece is out of service at once (equipment and safety_risks widgets), a second press
writes nothing, bad rows come back per field, another school's equipment is refused; and the flow over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from domain.errors import InvalidInput, NotAllowed
from domain.models import AuditLog, Equipment, EquipmentInspection
from domain.records.equipment import EquipmentCheckService, validate_check
from domain.widgets import WidgetService
from tests.support.app_client import BotClient
from tests.support.card_flow import card_action as _action
from tests.support.card_flow import card_inputs as _inputs
from tests.support.card_flow import execute
from tests.support.district import NOW, District_

TODAY = NOW.date()


async def _harnesses(d: District_) -> int:
    async with d.sessions() as s, s.begin():
        return (await s.execute(insert(Equipment).values(
            school_id=d.school_a, name="Climbing harnesses", category="climbing", quantity=10, min_quantity=8,
            condition="good", inspection_interval_days=90, units=["Basketball"], item_count=10,
        ).returning(Equipment.id))).scalar_one()


def _draft(item: int, problems: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    return validate_check({"equipment_id": item, "day": TODAY.isoformat(), "problems": problems}, TODAY)


async def test_a_frayed_harness_is_out_of_service_at_once_in_both_widgets(district: District_, widgets: WidgetService) -> None:
    item = await _harnesses(district)
    service = EquipmentCheckService(district.sessions)
    sheet = await service.sheet(district.tess, equipment_text="climbing harness", day=TODAY)
    assert sheet.equipment_id == item and sheet.pieces == 10
    saved = await service.save(district.tess, _draft(item, [{"item": "3", "result": "fail", "note": "frayed"}]),
                               "k1", via="test")
    assert saved.created and saved.result == "fail" and saved.out_of_service == ("#3",)
    assert saved.affected == (), "Tess's own class uses it; other teachers' Basketball classes: none in the district"
    by_theo = await service.save(district.theo, _draft(item, [{"item": "4", "result": "fail"}]), "k0", via="test")
    assert by_theo.affected == ("PE 7 — Period 3 (Tess)",), "Tess's period 3 (Basketball) meets today"
    equipment = await widgets.run(district.tess, "equipment", now=NOW)
    row = next(r for r in equipment.table.rows if r[0] == "Climbing harnesses")  # type: ignore[union-attr]
    assert "out of service: #3 (frayed)" in row[1]
    safety = await widgets.run(district.tess, "safety_risks", now=NOW, class_text="period 3")
    assert any("Climbing harnesses" in n and "out of service: #3" in n for n in safety.notes)

    again = await service.save(district.tess, _draft(item, []), "k1", via="test")
    assert not again.created and again.out_of_service == ("#3",)
    async with district.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(EquipmentInspection)) == 4  # item + piece, twice
        assert await s.scalar(select(func.count()).where(AuditLog.action == "equipment.inspect")) == 2

    await service.save(district.tess, _draft(item, []), "k2", via="test")  # replaced: everything passes
    cleared = await widgets.run(district.tess, "equipment", now=NOW)
    assert not cleared.table or all(r[0] != "Climbing harnesses" for r in cleared.table.rows)


async def test_the_whole_item_failing_takes_it_out_of_service(district: District_) -> None:
    item = await _harnesses(district)
    await EquipmentCheckService(district.sessions).save(
        district.tess, _draft(item, [{"item": None, "result": "fail", "note": "recall notice"}]), "k1", via="test")
    async with district.sessions() as s:
        row = await s.get(Equipment, item)
    assert row is not None and row.out_of_service and row.condition == "damaged"


async def test_bad_rows_and_another_schools_teacher_change_nothing(district: District_) -> None:
    item = await _harnesses(district)
    service = EquipmentCheckService(district.sessions)
    with pytest.raises(InvalidInput) as too_high:
        await service.save(district.tess, _draft(item, [{"item": "#14", "result": "fail"}]), "k1", via="test")
    assert too_high.value.field_errors == {"problem_0": "There are 10: #1 to #10."}
    with pytest.raises(InvalidInput):
        _draft(item, [{"item": "third one", "result": "fail"}])
    with pytest.raises(NotAllowed):
        await service.save(district.tara, _draft(item, []), "k2", via="test")
    async with district.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(EquipmentInspection)) == 0
        refused = await s.scalar(select(func.count()).where(AuditLog.action == "equipment.inspect",
                                                            AuditLog.allowed.is_(False)))
    assert refused == 1


def _t(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def test_fail_an_equipment_item_from_chat_through_the_app(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    await bot.post(activity(connector.url, text="checked the folding mats, #2 has a torn seam"))
    message = connector.messages()[-1]
    assert "nothing is recorded until you do" in message["text"]
    card = message["attachments"][0]["content"]
    values = _inputs(card)
    assert values["p0_item"] == "#2" and values["p0_result"] == "fail"
    press = execute(connector, _action(card, "Save"), values)
    status, body = await bot.post(press)
    assert status == 200 and "Out of service now: #2" in _t(body)
    status, body = await bot.post({**press, "id": "resent"})
    assert "already saved" in _t(body)
    async with demo_sessions() as s:
        rows = (await s.execute(select(EquipmentInspection.item_label, EquipmentInspection.result)
                                .where(EquipmentInspection.idempotency_key.is_not(None)))).all()
    assert sorted(rows, key=str) == sorted([(None, "fail"), ("#2", "fail")], key=str)
    await bot.post(activity(connector.url, text="any equipment overdue for inspection?"))
    assert "out of service: #2" in _t(connector.messages()[-1])
