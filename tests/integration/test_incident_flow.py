"""Incident reports end to end through the app: a chat proposal on a card, Save (Action.Execute and the Submit
fallback), validation errors in the same card, idempotent saves, cancel, and refusals audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from domain.models import AuditLog, Incident
from tests.fakes.activities import ALEX, activity
from tests.fakes.connector import FakeConnector
from tests.integration.conftest import BotClient


def _last_card(connector: FakeConnector) -> dict[str, Any]:
    return connector.messages()[-1]["attachments"][0]["content"]


def _inputs(card: dict[str, Any]) -> dict[str, str]:
    """The values the card's inputs hold, as a client would submit them."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = str(node.get("value", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("body", []))
    return found


def _action(card: dict[str, Any], title: str) -> dict[str, Any]:
    return next(a for a in card["actions"] if a["title"] == title)


def execute(connector: FakeConnector, action: dict[str, Any], inputs: dict[str, str], aad: str = ALEX) -> dict[str, Any]:
    data = {**action["data"], **inputs}
    return activity(connector.url, type="invoke", name="adaptiveCard/action", aad=aad,
                    value={"action": {"type": "Action.Execute", "verb": action["verb"], "data": data}})


async def _incidents(sessions) -> list[Incident]:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return list((await s.execute(select(Incident).where(Incident.idempotency_key.is_not(None)))).scalars())


async def test_a_chat_report_becomes_a_proposal_card_and_nothing_is_saved(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    message = connector.messages()[-1]
    assert "nothing is recorded until you do" in message["text"]
    values = _inputs(message["attachments"][0]["content"])
    assert values["severity"] == "minor" and values["incident_type"] == "injury"
    assert values["activity"] == "Basketball" and values["location"] == "Main Gym"
    assert values["student_id"].isdigit()
    assert await _incidents(demo_sessions) == []


async def test_save_commits_once_even_when_pressed_twice(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    card = _last_card(connector)
    press = execute(connector, _action(card, "Save"), _inputs(card))
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
    save = _action(card, "Save")["fallback"]
    await bot.post(activity(connector.url, value={**save["data"], **_inputs(card)}))
    assert connector.messages()[-1]["text"].startswith("Saved incident #")
    assert len(await _incidents(demo_sessions)) == 1


async def test_invalid_input_comes_back_in_the_same_card_with_values_kept(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="log an incident"))
    card = _last_card(connector)
    inputs = _inputs(card) | {"description": "", "severity": "apocalyptic", "location": "Gym", "activity": "Tag",
                              "incident_type": "injury", "date": "2099-01-01", "time": "10:00"}
    status, body = await bot.post(execute(connector, _action(card, "Save"), inputs))
    assert status == 200
    again = body["value"]
    texts = [b.get("text", "") for b in _walk(again)]
    assert "Please fix the fields marked below; nothing was saved." in texts
    assert "Required." in texts or "Pick a student." in texts
    assert _inputs(again)["location"] == "Gym", "the user's values are kept"
    assert await _incidents(demo_sessions) == []


async def test_a_future_time_is_refused(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    card = _last_card(connector)
    status, body = await bot.post(execute(connector, _action(card, "Save"), _inputs(card) | {"date": "2099-01-01"}))
    assert "An incident can't be in the future." in [b.get("text", "") for b in _walk(body["value"])]
    assert await _incidents(demo_sessions) == []


async def test_cancel_discards_the_report(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    card = _last_card(connector)
    status, body = await bot.post(execute(connector, _action(card, "Cancel"), {}))
    assert "Nothing was saved" in body["value"]["body"][0]["text"]
    assert await _incidents(demo_sessions) == []


async def test_a_card_cannot_save_an_incident_for_another_teachers_student(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    card = _last_card(connector)
    async with demo_sessions() as s:
        from domain.models import Student

        riley = (await s.execute(select(Student.id).where(Student.last_name == "Novak"))).scalar_one()
    status, body = await bot.post(execute(connector, _action(card, "Save"), _inputs(card) | {"student_id": str(riley)}))
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
