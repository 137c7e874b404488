"""The student profile card's buttons through the app: Log incident (form with the student preselected), Recent
incidents (scoped and audited by the service), Add to calendar (event form about the student) — as Action.Execute
invokes and as Submit fallbacks; a forged student id outside the caller's classes is refused and audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from devtools.fakes.activities import ALEX, activity
from devtools.fakes.connector import FakeConnector
from domain.models import AuditLog, Student
from tests.support.app_client import BotClient


async def _profile(bot: BotClient, connector: FakeConnector) -> dict[str, Any]:
    await bot.post(activity(connector.url, text="show me Jamie Ortiz"))
    return connector.messages()[-1]["attachments"][0]["content"]


def _buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["title"]: a for a in card.get("actions", [])}


def _press(connector: FakeConnector, action: dict[str, Any], aad: str = ALEX) -> dict[str, Any]:
    return activity(connector.url, type="invoke", name="adaptiveCard/action", aad=aad,
                    value={"action": {"type": "Action.Execute", "verb": action["verb"], "data": action["data"]}})


def _texts(card: dict[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            out.extend(str(node[k]) for k in ("text", "title", "value", "label") if isinstance(node.get(k), str))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return "\n".join(out)


async def _student_id(sessions, first: str, last: str) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        query = select(Student.id).where(Student.first_name == first, Student.last_name == last)
        return (await s.execute(query)).scalar_one()


async def test_the_profile_card_has_the_three_buttons_with_submit_fallbacks(bot: BotClient, connector: FakeConnector,
                                                                            demo_sessions) -> None:
    card = await _profile(bot, connector)
    jamie = await _student_id(demo_sessions, "Jamie", "Ortiz")
    buttons = _buttons(card)
    assert list(buttons) == ["Log incident", "Recent incidents", "Add to calendar"]
    for title, verb in (("Log incident", "incident.form"), ("Recent incidents", "incident.recent"),
                        ("Add to calendar", "event.form")):
        b = buttons[title]
        assert b["type"] == "Action.Execute" and b["verb"] == verb
        assert b["data"] == {"action": verb, "student_id": str(jamie)}
        assert b["fallback"]["type"] == "Action.Submit" and b["fallback"]["data"] == b["data"]


async def test_log_incident_opens_the_form_with_the_student_chosen(bot: BotClient, connector: FakeConnector,
                                                                   demo_sessions) -> None:
    card = await _profile(bot, connector)
    status, body = await bot.post(_press(connector, _buttons(card)["Log incident"]))
    assert status == 200
    form = body["value"]
    picker = next(e for e in form["body"] if e.get("id") == "student_id")
    assert picker["value"] == str(await _student_id(demo_sessions, "Jamie", "Ortiz"))


async def test_recent_incidents_lists_the_students_incidents_and_audits_the_read(bot: BotClient,
                                                                                  connector: FakeConnector,
                                                                                  demo_sessions) -> None:
    card = await _profile(bot, connector)
    jamie = await _student_id(demo_sessions, "Jamie", "Ortiz")
    status, body = await bot.post(_press(connector, _buttons(card)["Recent incidents"]))
    assert status == 200
    shown = _texts(body["value"])
    assert "Recent incidents: Jamie Ortiz" in shown
    async with demo_sessions() as s:
        audits = (await s.execute(select(AuditLog.allowed, AuditLog.subject_id).where(
            AuditLog.action == "incident.read", AuditLog.via == "card:student"))).all()
    assert [tuple(a) for a in audits] == [(True, jamie)]


async def test_a_forged_student_outside_the_roster_is_refused_and_audited(bot: BotClient, connector: FakeConnector,
                                                                          demo_sessions) -> None:
    riley = await _student_id(demo_sessions, "Riley", "Novak")  # Isaiah's student
    await bot.post(activity(connector.url, value={"action": "incident.recent", "student_id": str(riley)}))
    message = connector.messages()[-1]
    assert "No student by that name in your classes." in message["text"] and not message.get("attachments")
    async with demo_sessions() as s:
        audits = (await s.execute(select(AuditLog.allowed).where(
            AuditLog.action == "incident.read", AuditLog.via == "card:student"))).scalars().all()
    assert audits == [False]
    # The other buttons ignore a student the caller may not see: a blank choice, no name in the event title.
    status, body = await bot.post(_press(connector, {"verb": "event.form",
                                                     "data": {"action": "event.form", "student_id": str(riley)}}))
    assert status == 200 and "Riley" not in _texts(body["value"])
    status, body = await bot.post(_press(connector, {"verb": "incident.form",
                                                     "data": {"action": "incident.form", "student_id": str(riley)}}))
    assert status == 200 and "Riley" not in _texts(body["value"])
    picker = next(e for e in body["value"]["body"] if e.get("id") == "student_id")
    assert picker.get("value") in (None, ""), "no student chosen"
    assert str(riley) not in {c["value"] for c in picker.get("choices") or []}, "and Riley's id is not offered"


async def test_add_to_calendar_opens_an_event_form_about_the_student(bot: BotClient, connector: FakeConnector) -> None:
    card = await _profile(bot, connector)
    button = _buttons(card)["Add to calendar"]
    await bot.post(activity(connector.url, value=button["fallback"]["data"]))  # the Submit fallback
    form = connector.messages()[-1]["attachments"][0]["content"]
    title = next(e for e in form["body"] if e.get("id") == "title")
    assert title["value"] == "Meeting: Jamie Ortiz"
    assert _buttons(form)["Save"]["data"]["form_key"]
