"""Skill assessments: the service on the hand-built district (skill_gaps and assessment_status change at once, one
save per card, only the caller's classes, per-field errors) and the flow through the app over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from domain.errors import InvalidInput, NotAllowed
from domain.models import AuditLog, SkillAssessment
from domain.records.skills import SkillService, validate_skills
from domain.widgets import WidgetService
from tests.support.app_client import BotClient
from tests.support.card_flow import card_action as _action
from tests.support.card_flow import card_inputs as _inputs
from tests.support.card_flow import execute
from tests.support.district import NOW, District_

TODAY = NOW.date()


def _draft(d: District_, levels: dict[str, str], cls: str = "p3", skill: str = "Dribbling", day=TODAY):  # type: ignore[no-untyped-def]
    return validate_skills({"class_id": str(d.classes[cls]), "skill": skill, "day": day.isoformat(),
                            "levels": {str(d.students[k]): v for k, v in levels.items()}}, TODAY)


async def test_levels_are_saved_once_and_the_widgets_change_at_once(district: District_, widgets: WidgetService) -> None:
    service = SkillService(district.sessions)
    assert (await widgets.run(district.tess, "skill_gaps", now=NOW, class_text="p3")).empty
    saved = await service.save(district.tess, _draft(district, {"ann": "2", "ben": "4", "cal": ""}), "k1", via="test")
    assert saved.created and saved.count == 2 and saved.below == 1
    again = await service.save(district.tess, _draft(district, {"ann": "4"}), "k1", via="test")
    assert not again.created
    gaps = await widgets.run(district.tess, "skill_gaps", now=NOW, class_text="p3")
    assert gaps.headline()["Students below benchmark"] == "1" and gaps.headline()["Not assessed"] == "1"
    status = await widgets.run(district.tess, "assessment_status", now=NOW, class_text="p3")
    assert status.headline()["Fully assessed"] == "2" and status.headline()["Not assessed"] == "1"
    async with district.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(SkillAssessment)) == 2
        assert await s.scalar(select(func.count()).where(AuditLog.action == "skill.record")) == 2
        units = set((await s.execute(select(SkillAssessment.unit))).scalars())
    assert units == {"Basketball"}, "stored under the class's current unit"


async def test_bad_levels_other_classes_and_strangers_change_nothing(district: District_) -> None:
    with pytest.raises(InvalidInput) as bad:
        _draft(district, {"ann": "5", "ben": "x"}, day=TODAY + timedelta(days=1))
    s = district.students
    assert bad.value.field_errors == {f"student_{s['ann']}": "A level from 1 to 4.",
                                      f"student_{s['ben']}": "A level from 1 to 4.",
                                      "day": "An assessment can't be recorded for a future date."}
    service = SkillService(district.sessions)
    with pytest.raises(NotAllowed):
        await service.save(district.tess, _draft(district, {"fay": "3"}, cls="p1"), "k1", via="test")
    with pytest.raises(InvalidInput) as stranger:
        await service.save(district.tess, _draft(district, {"dee": "3"}), "k2", via="test")
    assert stranger.value.field_errors == {f"student_{s['dee']}": "Not in this class."}
    async with district.sessions() as db:
        assert await db.scalar(select(func.count()).select_from(SkillAssessment)) == 0
        assert await db.scalar(select(func.count()).where(AuditLog.action == "skill.record",
                                                          AuditLog.allowed.is_(False))) == 1


async def test_dribbling_levels_from_chat_through_the_app(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="dribbling assessment: Jamie Chen 3, Kate 4, Malik 2"))
    message = connector.messages()[-1]
    assert "nothing is recorded until you do" in message["text"]
    card = message["attachments"][0]["content"]
    values = _inputs(card)
    assert values["skill"] == "dribbling"
    levels = [v for k, v in values.items() if k.startswith("s_")]
    assert sorted(v for v in levels if v != "na") == ["2", "3", "4"] and levels.count("na") == len(levels) - 3
    async with demo_sessions() as s:
        before = await s.scalar(select(func.count()).select_from(SkillAssessment))
    press = execute(connector, _action(card, "Save"), values)
    status, body = await bot.post(press)
    assert status == 200 and "Saved 3 dribbling levels for PE 7" in json.dumps(body, ensure_ascii=False)
    status, body = await bot.post({**press, "id": "resent"})
    assert "already saved" in json.dumps(body)
    async with demo_sessions() as s:
        assert await s.scalar(select(func.count()).select_from(SkillAssessment)) == before + 3
