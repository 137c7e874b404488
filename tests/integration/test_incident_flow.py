"""Incident reports end to end through the app: a chat proposal on a card, Save (Action.Execute and the Submit
fallback), validation errors in the same card, idempotent saves, cancel, and refusals audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from domain.models import AuditLog, Incident
from tests.support.app_client import BotClient
from tests.support.card_flow import card_action, card_inputs, execute


def _last_card(connector: FakeConnector) -> dict[str, Any]:
    return connector.messages()[-1]["attachments"][0]["content"]


async def _incidents(sessions) -> list[Incident]:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return list((await s.execute(select(Incident).where(Incident.idempotency_key.is_not(None)))).scalars())


async def test_a_chat_report_becomes_a_proposal_card_and_nothing_is_saved(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    message = connector.messages()[-1]
    assert "nothing is recorded until you do" in message["text"]
    values = card_inputs(message["attachments"][0]["content"])
    assert values["severity"] == "minor" and values["incident_type"] == "injury"
    assert values["activity"] == "Basketball" and values["location"] == "Main Gym"
    assert values["student_id"].isdigit()
    assert await _incidents(demo_sessions) == []


async def test_save_commits_once_even_when_pressed_twice(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    card = _last_card(connector)
    press = execute(connector, card_action(card, "Save"), card_inputs(card))
    status, body = await bot.post(press)
    assert status == 200 and body["statusCode"] == 200
    assert body["value"]["body"][0]["text"].startswith("Incident #")
    second = {**press, "id": "another-delivery"}
    status, body = await bot.post(second)
    assert status == 200 and "Incident #" in body["value"]["body"][0]["text"]
    saved = await _incidents(demo_sessions)
    assert len(saved) == 1
    assert saved[0].severity.value == "minor" and saved[0].activity == "Basketball"
    async with demo_sessions() as s:
        audits = (await s.execute(select(AuditLog.action).where(AuditLog.action == "incident.create"))).all()
    assert len(audits) == 1


async def test_the_submit_fallback_saves_through_the_same_path(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Zoe Muller scraped her knee on the track, minor"))
    card = _last_card(connector)
    save = card_action(card, "Save")["fallback"]
    await bot.post(activity(connector.url, value={**save["data"], **card_inputs(card)}))
    assert connector.messages()[-1]["text"].startswith("Saved incident #")
    assert len(await _incidents(demo_sessions)) == 1


async def test_invalid_input_comes_back_in_the_same_card_with_values_kept(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="log an incident"))
    card = _last_card(connector)
    inputs = card_inputs(card) | {"description": "", "severity": "apocalyptic", "location": "Gym", "activity": "Tag",
                              "incident_type": "injury", "date": "2099-01-01", "time": "10:00"}
    status, body = await bot.post(execute(connector, card_action(card, "Save"), inputs))
    assert status == 200
    again = body["value"]
    texts = [b.get("text", "") for b in _walk(again)]
    assert "Please fix the fields marked below; nothing was saved." in texts
    assert "Required." in texts or "Pick a student." in texts
    assert card_inputs(again)["location"] == "Gym", "the user's values are kept"
    assert await _incidents(demo_sessions) == []


async def test_a_future_time_is_refused(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    card = _last_card(connector)
    _status, body = await bot.post(
        execute(connector, card_action(card, "Save"), card_inputs(card) | {"date": "2099-01-01"}))
    assert "An incident can't be in the future." in [b.get("text", "") for b in _walk(body["value"])]
    assert await _incidents(demo_sessions) == []


async def test_cancel_discards_the_report(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    card = _last_card(connector)
    _status, body = await bot.post(execute(connector, card_action(card, "Cancel"), {}))
    assert "Nothing was saved" in body["value"]["body"][0]["text"]
    assert await _incidents(demo_sessions) == []


async def test_a_card_cannot_save_an_incident_for_another_teachers_student(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    card = _last_card(connector)
    async with demo_sessions() as s:
        from domain.models import Student

        riley = (await s.execute(select(Student.id).where(Student.last_name == "Novak"))).scalar_one()
    _status, body = await bot.post(
        execute(connector, card_action(card, "Save"), card_inputs(card) | {"student_id": str(riley)}))
    assert "only report incidents for students in your classes" in str(body["value"])
    assert await _incidents(demo_sessions) == []
    async with demo_sessions() as s:
        refused = (await s.execute(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "incident.create", AuditLog.allowed.is_(False), AuditLog.subject_id == riley))).scalar_one()
    assert refused == 1


def _walk(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            out.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_walk(value))
    return out
