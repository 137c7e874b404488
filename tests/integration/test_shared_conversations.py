"""Student data never lands in a shared conversation (team channel, group chat, meeting chat).

Every tool and text command is driven through the app over HTTP in each kind of shared conversation, with a fake Bot
Connector recording every request. Nothing sent to the shared conversation may carry a student's name, number or a
guardian's name or phone; answers about students reach the requester's 1:1 chat instead, and the shared conversation
gets one neutral line. A card posted in the open refuses presses by anyone but the person it was made for.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.channel.shared_conversations import NO_PRIVATE_CHAT, NOT_YOUR_CARD, OPEN_CARD_VERBS, SENT_PRIVATELY
from bot.routes import SETTINGS
from devtools.fakes.activities import ALEX, BOT_ID, ISAIAH, MEGAN, STRANGER, TENANT, activity
from devtools.fakes.connector import FakeConnector
from devtools.fakes.openai_server import ScriptedOpenAI, call, say
from domain.db import make_engine, make_sessionmaker
from domain.models import AuditLog, LessonPlan, Student
from tests.support.app_client import BotClient, bot_settings, serving

UNLIMITED = {"rate_limit_per_minute": 1_000_000, "rate_limit_per_hour": 1_000_000}
GROUP_CHAT = "19:2b8c1f0e9d7a4c3e@thread.v2"
CHANNEL = "19:f1d2c3b4a5e6@thread.tacv2"

# Shapes from Microsoft's Teams docs ("conversation basics", "channel and group chat conversations with a bot").
SHARED = {
    "channel": {
        "conversation": {"isGroup": True, "conversationType": "channel", "tenantId": TENANT,
                         "id": f"{CHANNEL};messageid=1730000000000"},
        "channelData": {"teamsChannelId": CHANNEL, "teamsTeamId": CHANNEL, "channel": {"id": CHANNEL},
                        "team": {"id": CHANNEL}, "tenant": {"id": TENANT}},
    },
    "groupChat": {
        "conversation": {"isGroup": True, "conversationType": "groupChat", "tenantId": TENANT, "id": GROUP_CHAT},
        "channelData": {"tenant": {"id": TENANT}},
    },
    "meeting": {
        "conversation": {"isGroup": True, "conversationType": "groupChat", "tenantId": TENANT,
                         "id": "19:meeting_NmU0ZjFkYjQt@thread.v2"},
        "channelData": {"tenant": {"id": TENANT}, "meeting": {"id": "MCMxOTptZWV0aW5nX05t"}},
    },
}

# (who, utterance, may be answered in the open). Every tool the offline planner routes to and every text command.
TURNS: list[tuple[str, str, bool]] = [
    (ALEX, "show me Jamie Ortiz", False),                                        # lookup_student: profile
    (ALEX, "show me Jamie", False),                                              # lookup_student: pick one
    (ALEX, "does Eli have any allergies", False),                                # lookup_student: health
    (ALEX, "Jamie Ortiz rolled her ankle in basketball, looks minor", False),    # log_incident
    (ALEX, "report an incident", False),                                         # open_form: roster picker
    (ALEX, "who's been missing class in period 3", True),                        # run_widget: class figures
    (ALEX, "make 4 balanced teams for PE 7", False),                             # run_widget: teams by name
    (ALEX, "any safety risks in period 3", False),                             # run_widget: health
    (ALEX, "how is Eva doing on her fitness tests", False),                      # run_widget: one student
    (ALEX, "schedule a parent meeting next Tuesday at 3:30pm", False),           # schedule_event
    (ALEX, "any equipment overdue for inspection", True),                        # run_widget, no students
    (ALEX, "plan a 45 minute volleyball lesson for grade 4", True),              # plan_lesson
    (ALEX, "what's our lightning rule?", True),                                  # search_knowledge
    (ALEX, "forms", True),                                                       # open_form: menu
    (ALEX, "help", True),
    (MEGAN, "alerts today", False),
    (MEGAN, "alerts status", False),
    (MEGAN, "access history Jamie Ortiz", False),
    (MEGAN, "delete student S109001", False),
    (MEGAN, "uploaded documents", False),
]


@pytest.fixture
async def full_bot(full_db_url: str, redis_url: str, connector: FakeConnector) -> AsyncIterator[BotClient]:
    """The bot on the demo district with the knowledge corpus, without per-user rate limits (many turns a minute)."""
    async with serving(bot_settings(full_db_url, redis_url, **UNLIMITED), connector) as client:
        yield client


@pytest.fixture
def sessions(full_bot: BotClient, demo_sessions_for: Any) -> Any:
    """Sessions on the database the bot uses."""
    return demo_sessions_for(full_bot)


def shared_activity(connector: FakeConnector, kind: str, text: str | None = None, *, aad: str = ALEX,
                    **extra: Any) -> dict[str, Any]:
    body = activity(connector.url, aad=aad, **extra)
    body.update(json.loads(json.dumps(SHARED[kind])))
    if text is not None:  # @mentioned, as Teams sends it in a channel or group chat
        body["text"] = f"<at>Faraday</at> {text}"
        body["entities"] = [{"type": "mention", "text": "<at>Faraday</at>",
                             "mentioned": {"id": f"28:{BOT_ID}", "name": "Faraday"}}]
    return body


async def sensitive_strings(sessions: Any) -> set[str]:
    """Every student's full name and number, every guardian's name and phone: none may reach a shared chat."""
    async with sessions() as s:
        students = (await s.execute(select(Student).options(selectinload(Student.guardians)))).scalars().all()
    out: set[str] = set()
    for student in students:
        out |= {f"{student.first_name} {student.last_name}", student.student_number}
        for guardian in student.guardians:
            out |= {guardian.name} | ({guardian.phone} if guardian.phone else set())
    return {s.lower() for s in out if s}


def sent_to(connector: FakeConnector, conversation_id: str) -> list[dict[str, Any]]:
    return [a for a in connector.activities if a["_conversation"] == conversation_id]


def leaks(activities: list[dict[str, Any]], sensitive: set[str]) -> set[str]:
    blob = json.dumps([{k: v for k, v in a.items() if not k.startswith("_")} for a in activities]).lower()
    return {s for s in sensitive if s in blob}


@pytest.mark.parametrize("kind", ["channel", "groupChat", "meeting"])
async def test_no_student_identifying_field_is_sent_to_a_shared_conversation(
        full_bot: BotClient, connector: FakeConnector, sessions: Any, kind: str) -> None:
    sensitive = await sensitive_strings(sessions)
    shared_id = SHARED[kind]["conversation"]["id"]
    for aad in (ALEX, MEGAN):  # each has used their 1:1 chat before: that is where private answers go
        status, _ = await full_bot.post(activity(connector.url, text="hi", aad=aad))
        assert status in (200, 201)
    private = {aad: f"a:personal-{aad}" for aad in (ALEX, MEGAN)}
    wrong: list[str] = []  # every misplaced answer, not only the first
    for who, text, open_ in TURNS:
        before_shared = len(sent_to(connector, shared_id))
        before_private = len(connector.messages(private[who]))
        status, _ = await full_bot.post(shared_activity(connector, kind, text, aad=who))
        assert status in (200, 201), text
        posted = [a for a in sent_to(connector, shared_id)[before_shared:] if a.get("type") == "message"]
        copies = connector.messages(private[who])[before_private:]
        if open_ and (not posted or SENT_PRIVATELY in [a.get("text") for a in posted] or copies):
            wrong.append(f"{text!r} should be answered in the open: {[a.get('text') for a in posted]}")
        if not open_ and ([a.get("text") for a in posted] != [SENT_PRIVATELY] or not copies
                          or any(a.get("attachments") for a in posted)):
            wrong.append(f"{text!r} should go to the 1:1 chat: {[a.get('text') for a in posted]}, {len(copies)}")
    assert not wrong, "\n".join(wrong)
    found = leaks(sent_to(connector, shared_id), sensitive)
    assert not found, f"student data in the {kind}: {sorted(found)[:5]}"
    # the private chat did get the student data: the check above can see it when it is there
    assert leaks(connector.messages(private[ALEX]), sensitive)


async def test_the_private_chat_is_opened_when_the_requester_never_used_it(
        full_bot: BotClient, connector: FakeConnector) -> None:
    status, _ = await full_bot.post(shared_activity(connector, "groupChat", "show me Jamie Ortiz"))
    assert status in (200, 201)
    assert ("POST", "/v3/conversations") in connector.requests
    opened = [a for a in connector.messages() if a["_conversation"].startswith("conversation-")]
    assert opened and "Jamie" in json.dumps(opened[-1]["attachments"])
    assert [a.get("text") for a in connector.messages(GROUP_CHAT)] == [SENT_PRIVATELY]


async def test_when_no_private_chat_can_be_opened_the_group_is_told_how_and_gets_no_data(
        full_bot: BotClient, connector: FakeConnector, sessions: Any) -> None:
    # Teams: BotNotInConversationRoster (the app is not installed for this person) on whatever reaches for the
    # requester's 1:1 chat (its stored conversation or a new one); not on the group chat's own sends (a slow turn's
    # informative update goes there first)
    connector.fail_next(403, where=lambda path: GROUP_CHAT not in path)
    status, _ = await full_bot.post(shared_activity(connector, "groupChat", "does Eli have any allergies"))
    assert status in (200, 201)
    assert [a.get("text") for a in connector.messages(GROUP_CHAT)] == [NO_PRIVATE_CHAT]
    assert not leaks(sent_to(connector, GROUP_CHAT), await sensitive_strings(sessions))


async def test_a_model_that_repeats_a_phone_number_still_answers_privately(
        full_db_url: str, redis_url: str, connector: FakeConnector) -> None:
    """The rule is on the reply path, not in the prompt: a compromised model's text goes where its tools' data goes."""
    engine = make_engine(full_db_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as s:
            jamie = (await s.execute(select(Student).options(selectinload(Student.guardians)).where(
                Student.first_name == "Jamie", Student.last_name == "Ortiz"))).scalar_one()
    finally:
        await engine.dispose()
    phone = next(g.phone for g in jamie.guardians if g.phone)
    model = await ScriptedOpenAI().start()
    model.script.extend([
        call("lookup_student", {"query": "Jamie Ortiz", "class": None, "details": ["emergency_contact"]}),
        say(f"Jamie Ortiz's guardian can be reached at {phone}."),
    ])
    settings = bot_settings(full_db_url, redis_url, openai_api_key="sk-test", openai_base_url=model.base_url,
                            **UNLIMITED)
    try:
        async with serving(settings, connector) as bot:
            await bot.post(activity(connector.url, text="hi"))
            status, _ = await bot.post(shared_activity(connector, "channel", "who do I call for Jamie"))
    finally:
        await model.close()
    assert status in (200, 201) and not model.script, "both scripted steps ran"
    shared = sent_to(connector, SHARED["channel"]["conversation"]["id"])
    assert [a.get("text") for a in shared if a.get("type") == "message"] == [SENT_PRIVATELY]
    assert phone not in json.dumps(shared)
    assert phone in json.dumps(connector.messages(f"a:personal-{ALEX}"))


def _press(connector: FakeConnector, kind: str, action: dict[str, Any], aad: str) -> dict[str, Any]:
    return shared_activity(connector, kind, aad=aad, type="invoke", name="adaptiveCard/action",
                           value={"action": {"type": "Action.Execute", "verb": action["verb"], "data": action["data"]}})


def _submit(connector: FakeConnector, kind: str, action: dict[str, Any], aad: str) -> dict[str, Any]:
    return shared_activity(connector, kind, aad=aad, value=dict(action["data"]))


async def _lesson_count(sessions: Any) -> int:
    async with sessions() as s:
        return int((await s.execute(select(func.count()).select_from(LessonPlan))).scalar_one())


async def test_a_card_in_a_group_chat_works_only_for_the_person_it_was_made_for(
        full_bot: BotClient, connector: FakeConnector, sessions: Any) -> None:
    await full_bot.post(shared_activity(connector, "groupChat", "plan a 45 minute volleyball lesson for grade 4"))
    card = connector.messages(GROUP_CHAT)[-1]["attachments"][0]["content"]
    save = next(a for a in card["actions"] if a["title"] == "Save")
    before = await _lesson_count(sessions)

    for other in (ISAIAH, MEGAN):  # another teacher, an admin: both refused, nothing saved
        status, body = await full_bot.post(_press(connector, "groupChat", save, other))
        assert status in (200, 201) and body["value"] == NOT_YOUR_CARD
        await full_bot.post(_submit(connector, "groupChat", save, other))  # the Action.Submit fallback
        assert connector.messages(GROUP_CHAT)[-1]["text"] == NOT_YOUR_CARD
    status, body = await full_bot.post(_press(connector, "groupChat", save, STRANGER))  # a student in a class team
    assert status in (200, 201) and "recognise" in body["value"]
    assert await _lesson_count(sessions) == before

    forged = {"verb": save["verb"], "data": {k: v for k, v in save["data"].items() if k != "_for"}}
    status, body = await full_bot.post(_press(connector, "groupChat", forged, ALEX))  # a card without a stamp
    assert body["value"] == NOT_YOUR_CARD
    assert await _lesson_count(sessions) == before

    status, body = await full_bot.post(_press(connector, "groupChat", save, ALEX))  # the owner
    assert status in (200, 201) and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert await _lesson_count(sessions) == before + 1
    # the replacement card everyone now sees is stamped for its owner too
    regenerate = next(a for a in body["value"]["actions"] if a["title"] == "Regenerate")
    status, body = await full_bot.post(_press(connector, "groupChat", regenerate, ISAIAH))
    assert body["value"] == NOT_YOUR_CARD


async def test_a_button_whose_outcome_names_a_student_answers_the_presser_privately(
        full_bot: BotClient, connector: FakeConnector, sessions: Any) -> None:
    await full_bot.post(activity(connector.url, text="hi"))
    await full_bot.post(shared_activity(connector, "groupChat", "forms"))
    menu = connector.messages(GROUP_CHAT)[-1]["attachments"][0]["content"]
    incident = next(a for a in menu["actions"] if "ncident" in a["title"])
    before = len(connector.messages(f"a:personal-{ALEX}"))
    _, body = await full_bot.post(_press(connector, "groupChat", incident, ALEX))
    assert body == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": SENT_PRIVATELY}
    form = connector.messages(f"a:personal-{ALEX}")[before:]
    assert form and form[-1]["attachments"], "the incident form (with the roster) goes to the private chat"
    assert not leaks(sent_to(connector, GROUP_CHAT), await sensitive_strings(sessions))


async def test_the_audit_row_and_the_access_history_say_where_a_record_was_opened(
        full_bot: BotClient, connector: FakeConnector, sessions: Any) -> None:
    await full_bot.post(shared_activity(connector, "groupChat", "show me Jamie Ortiz"))
    await full_bot.post(activity(connector.url, text="show me Jamie Ortiz"))
    async with sessions() as s:
        jamie = (await s.execute(select(Student.id).where(Student.first_name == "Jamie",
                                                         Student.last_name == "Ortiz"))).scalar_one()
        rows = (await s.execute(select(AuditLog.conversation_type).where(
            AuditLog.subject_id == jamie, AuditLog.action == "student.read").order_by(AuditLog.id))).scalars().all()
    assert rows == ["groupChat", "personal"]
    await full_bot.post(activity(connector.url, text="access history Jamie Ortiz", aad=MEGAN))
    history = json.dumps(connector.messages(f"a:personal-{MEGAN}")[-1]["attachments"])
    assert "in a group chat" in history and "in a private chat" in history


SECRET = "s" * 32  # a shared link secret, so the test can sign a card for Alex as the bot does


@pytest.fixture
async def signed_bot(full_db_url: str, redis_url: str, connector: FakeConnector) -> AsyncIterator[BotClient]:
    settings = bot_settings(full_db_url, redis_url, ics_link_secret=SECRET, **UNLIMITED)
    async with serving(settings, connector) as client:
        yield client


@pytest.mark.parametrize("kind", ["channel", "groupChat", "meeting"])
async def test_every_card_verb_in_a_shared_conversation_refuses_anyone_but_the_owner(
        signed_bot: BotClient, connector: FakeConnector, demo_sessions_for: Any, kind: str) -> None:
    from bot.actions import ACTIONS
    from bot.app import card_owner_secret
    from bot.channel.shared_conversations import STAMP_KEY, CardOwners
    from domain.models import CalendarEvent, Incident

    sessions = demo_sessions_for(signed_bot)
    owners = CardOwners(card_owner_secret(signed_bot.server.app[SETTINGS]) or b"")
    alex_card = {"type": "Action.Execute", "data": {}}
    owners.stamp([{"actions": [alex_card]}], ALEX)

    async def counts() -> list[int]:
        async with sessions() as s:
            return [int((await s.execute(select(func.count()).select_from(m))).scalar_one())
                    for m in (Incident, LessonPlan, CalendarEvent, AuditLog)]

    before = await counts()
    for verb in sorted(ACTIONS):
        data = {"action": verb, STAMP_KEY: alex_card["data"][STAMP_KEY]}
        status, body = await signed_bot.post(_press(connector, kind, {"verb": verb, "data": data}, ISAIAH))
        assert (status, body["value"]) == (200, NOT_YOUR_CARD), verb
        await signed_bot.post(_submit(connector, kind, {"data": data}, ISAIAH))
        assert connector.messages()[-1]["text"] == NOT_YOUR_CARD, verb
    assert await counts() == before  # refused before any action ran: not even an audit row
    shared_id = SHARED[kind]["conversation"]["id"]
    for verb in sorted(set(ACTIONS) - OPEN_CARD_VERBS):  # the owner: whatever it shows goes to the private chat
        data = {"action": verb, STAMP_KEY: alex_card["data"][STAMP_KEY]}
        status, body = await signed_bot.post(_press(connector, kind, {"verb": verb, "data": data}, ALEX))
        assert body["type"] == "application/vnd.microsoft.activity.message", verb
        assert body["value"] in (SENT_PRIVATELY, NO_PRIVATE_CHAT), verb
    assert all(not a.get("attachments") for a in sent_to(connector, shared_id))
