"""Real Bot Framework activities POSTed to the running app; replies captured by a local fake connector."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot import app as app_module
from devtools.fakes.activities import ADELE, ALEX, MEGAN, STRANGER, activity
from devtools.fakes.connector import FakeConnector
from domain.models import AuditLog, ConversationReference, ConversationTurn
from tests.support.app_client import BotClient, bot_settings, serving


def _texts(connector: FakeConnector) -> list[str]:
    return [m.get("text") or "" for m in connector.messages()]


def _cards(connector: FakeConnector) -> list[dict]:
    return [
        a["content"]
        for m in connector.messages()
        for a in (m.get("attachments") or [])
        if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
    ]


async def _count(sessions, model) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_teacher_asking_for_a_student_gets_a_profile_card(bot: BotClient, connector: FakeConnector) -> None:
    status, _ = await bot.post(activity(connector.url, text="show me Riley Novak", aad="00000000-0000-0000-0000-0000000000023"))
    assert status == 201
    cards = _cards(connector)
    assert len(cards) == 1
    card = cards[0]
    assert card["version"] == "1.5"
    assert card["body"][0]["text"] == "Riley Novak"
    reply = connector.messages()[-1]
    assert any(e.get("additionalType") == ["AIGeneratedContent"] for e in reply.get("entities", []))


async def test_two_students_with_the_same_first_name_make_faraday_ask_which(bot: BotClient, connector: FakeConnector) -> None:
    await bot.post(activity(connector.url, text="show me Jamie"))
    text = _texts(connector)[-1]
    assert "Jamie Ortiz" in text and "Jamie Chen" in text and "Which one" in text
    buttons = [a["title"] for a in _cards(connector)[-1]["actions"]]
    assert len(buttons) == 2
    # Pressing a button submits {"action": "lookup_student", "query": "S…"}: exactly one profile comes back.
    data = _cards(connector)[-1]["actions"][0]["data"]
    assert data["action"] == "lookup_student"
    await bot.post(activity(connector.url, value=data))
    assert _cards(connector)[-1]["body"][0]["text"].startswith("Jamie ")
    assert _cards(connector)[-1]["body"][1]["facts"][0]["value"] == data["query"]


async def test_a_card_submit_cannot_reach_a_student_outside_the_roster(bot: BotClient, connector: FakeConnector) -> None:
    await bot.post(activity(connector.url, value={"action": "lookup_student", "query": "Riley Novak"}))
    assert "couldn't find" in _texts(connector)[-1]
    assert _cards(connector) == []


async def test_an_unknown_or_malformed_card_submit_changes_nothing(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    await bot.post(activity(connector.url, value={"action": "drop_everything"}))
    await bot.post(activity(connector.url, value={"action": "lookup_student", "query": ["not", "text"]}))
    texts = _texts(connector)
    assert "isn't available" in texts[0]
    assert "Invalid arguments" in texts[1]
    assert await _count(demo_sessions, AuditLog) == 0


async def test_a_teacher_cannot_read_a_student_outside_their_classes_and_the_attempt_is_audited(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    await bot.post(activity(connector.url, text="show me Riley Novak", aad=ALEX))
    assert "couldn't find" in _texts(connector)[-1]
    assert _cards(connector) == []
    async with demo_sessions() as s:
        rows = (await s.execute(select(AuditLog).where(AuditLog.allowed.is_(False)))).scalars().all()
    assert len(rows) == 1
    assert rows[0].action == "student.read" and rows[0].via == "tool:lookup_student"
    assert rows[0].actor_aad_object_id == ALEX


async def test_an_unknown_user_gets_one_polite_sentence_and_no_data(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    status, _ = await bot.post(activity(connector.url, text="show me Jamie", aad=STRANGER))
    assert status == 201
    assert len(connector.messages()) == 1
    assert "don't recognise your account" in _texts(connector)[0]
    assert not [a for a in connector.activities if a.get("attachments")]
    assert await _count(demo_sessions, AuditLog) == 0
    assert await _count(demo_sessions, ConversationReference) == 0


async def test_installing_faraday_sends_no_welcome_the_prompt_starters_do_and_the_chat_is_stored(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    """Microsoft's guidance (Create prompt suggestions): a bot uses prompt starters or a welcome message, not both;
    manifest/manifest.json has prompt starters in every scope (1:1, team, group chat)."""
    await bot.post(activity(connector.url, type="installationUpdate", action="add",
                            conversation_id="19:group@thread.v2", conversation_type="groupChat"))
    await bot.post(activity(connector.url, type="installationUpdate", action="add"))
    await bot.post(
        activity(
            connector.url,
            type="conversationUpdate",
            membersAdded=[{"id": "29:user"}, {"id": "28:00000000-0000-0000-0000-00000000000011"}],
        )
    )
    assert connector.messages() == []
    async with demo_sessions() as s:
        refs = (await s.execute(select(ConversationReference).where(
            ConversationReference.conversation_type == "personal"))).scalars().all()
    assert len(refs) == 1, "the 1:1 chat is remembered for alerts and briefs all the same"
    assert refs[0].service_url == connector.url and refs[0].tenant_id.endswith("0001")


async def test_without_prompt_starters_a_conversation_is_welcomed_once(
        demo_db_url: str, redis_url: str, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "prompt_starter_scopes", lambda: frozenset())  # a manifest without them
    async with serving(bot_settings(demo_db_url, redis_url), connector) as bot:
        await _welcomed_once(bot, connector)


async def _welcomed_once(bot: BotClient, connector: FakeConnector) -> None:
    group = {"conversation_id": "19:group@thread.v2", "conversation_type": "groupChat"}
    bot_member = {"id": "28:00000000-0000-0000-0000-00000000000011"}
    await bot.post(activity(connector.url, type="conversationUpdate", membersAdded=[{"id": "29:user"}, bot_member],
                            **group))
    await bot.post(activity(connector.url, type="installationUpdate", action="add", **group))
    await bot.post(activity(connector.url, type="installationUpdate", action="add", **group))  # re-sent
    texts = _texts(connector)
    assert len(texts) == 1 and "I'm **Faraday**" in texts[0], texts
    await bot.post(activity(connector.url, type="installationUpdate", action="add",
                            conversation_id="19:other-group@thread.v2", conversation_type="groupChat"))
    assert "I'm **Faraday**" in _texts(connector)[-1], "another conversation is welcomed"


async def test_hi_after_opening_the_chat_gets_a_short_answer(bot: BotClient, connector: FakeConnector) -> None:
    await bot.post(activity(connector.url, type="installationUpdate", action="add"))
    await bot.post(activity(connector.url, text="hi"))
    texts = _texts(connector)
    assert len(texts) == 1 and "Faraday" not in texts[-1] and len(texts[-1]) < 60, texts


async def test_a_turn_is_remembered_by_the_time_its_request_returns(bot: BotClient, connector: FakeConnector,
                                                                     demo_sessions) -> None:
    assert (await bot.post(activity(connector.url, text="show me Jamie Ortiz")))[0] == 201
    async with demo_sessions() as s:
        rows = (await s.execute(select(ConversationTurn.role, ConversationTurn.content)
                                .order_by(ConversationTurn.id))).all()
    assert [r.role for r in rows] == ["user", "assistant"]
    assert rows[0].content == "show me Jamie Ortiz" and rows[1].content == _texts(connector)[-1]


async def test_a_failed_memory_write_does_not_fail_the_turn(bot: BotClient, connector: FakeConnector,
                                                            demo_sessions) -> None:
    from bot.routes import BOT
    from domain.db import make_engine, make_sessionmaker

    unreachable = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/nowhere")  # nothing listens on port 1
    bot.server.app[BOT]._messages.memory._writes = make_sessionmaker(unreachable)
    try:
        assert (await bot.post(activity(connector.url, text="show me Jamie Ortiz")))[0] == 201
    finally:
        await unreachable.dispose()
    assert _cards(connector) and _cards(connector)[-1]["body"][0]["text"] == "Jamie Ortiz"
    assert await _count(demo_sessions, ConversationTurn) == 0


async def test_help_lists_what_faraday_can_do_with_the_commands_of_the_callers_role(
    bot: BotClient, connector: FakeConnector
) -> None:
    for aad in (ALEX, MEGAN, ADELE):  # teacher, admin, nurse
        await bot.post(activity(connector.url, text="help", aad=aad))
    teacher, admin, nurse = _texts(connector)
    assert all("show me Jamie" in t for t in (teacher, admin, nurse))
    assert "alerts" not in teacher and "uploaded documents" not in teacher
    assert "access history" in admin and "uploaded documents" in admin and "PDF, Word or markdown file" in admin
    assert "alerts today" in nurse and "uploaded documents" not in nurse and "access history" not in nurse


async def test_a_duplicate_activity_id_is_processed_once(bot: BotClient, connector: FakeConnector, demo_sessions) -> None:
    body = activity(connector.url, text="show me Jamie Ortiz", activity_id="teams-resend-1")
    assert (await bot.post(body))[0] == 201
    assert (await bot.post(body))[0] == 201
    assert len(connector.messages()) == 1
    assert await _count(demo_sessions, AuditLog) == 1


async def test_malformed_json_is_a_400_with_no_stack_trace(bot: BotClient, connector: FakeConnector) -> None:
    status, payload = await bot.post(None, raw=b'{"type": "message", ', headers={"Content-Type": "application/json"})
    assert status == 400
    assert payload == {"error": "malformed JSON"}
    assert connector.activities == []


async def test_an_activity_missing_required_fields_is_a_400(bot: BotClient, connector: FakeConnector) -> None:
    for body in ({"type": "message", "text": "hi"}, [], {"type": 5}, "x", {**activity(connector.url, text="x"), "conversation": None}):
        status, payload = await bot.post(body)
        assert status == 400, body
        assert "not a valid activity" in payload["error"]
    assert connector.activities == []


async def test_a_non_json_body_is_a_415(bot: BotClient) -> None:
    status, _ = await bot.post(None, raw=b"hello", headers={"Content-Type": "text/plain"})
    assert status == 415


async def test_an_oversized_body_is_a_413(bot: BotClient, connector: FakeConnector) -> None:
    body = activity(connector.url, text="x" * 300_000)
    status, _ = await bot.post(None, raw=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    assert status == 413
    assert connector.activities == []


async def test_an_oversized_message_gets_a_polite_reply_and_touches_nothing(
    bot: BotClient, connector: FakeConnector, demo_sessions
) -> None:
    await bot.post(activity(connector.url, text="show me Jamie " + "a" * 5000))
    assert "too long" in _texts(connector)[0]
    assert await _count(demo_sessions, AuditLog) == 0


async def test_unknown_activity_types_are_accepted_and_ignored(bot: BotClient, connector: FakeConnector) -> None:
    status, _ = await bot.post(activity(connector.url, type="somethingNew"))
    assert status == 201
    assert connector.messages() == []


async def _references(sessions, conversation_id: str) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return int((await s.execute(select(func.count()).select_from(ConversationReference).where(
            ConversationReference.conversation_id == conversation_id))).scalar_one())


def outside_the_allowlist(connector: FakeConnector) -> str:
    """The fake connector's own address spelled as an IPv4-mapped IPv6 host: not an allowed host, yet a reply sent
    there would reach the fake (so "nothing was sent" is observable, not assumed)."""
    return connector.url.replace("127.0.0.1", "[::ffff:127.0.0.1]")


async def test_an_activity_from_another_channel_is_refused(bot: BotClient, connector: FakeConnector,
                                                           demo_sessions) -> None:
    status, _ = await bot.post({**activity(connector.url, text="hi", conversation_id="a:slack"), "channelId": "slack"})
    assert status == 403
    assert connector.activities == [] and connector.requests == []
    assert await _references(demo_sessions, "a:slack") == 0


async def test_replies_to_a_service_url_outside_the_allowlist_are_refused(bot: BotClient, connector: FakeConnector,
                                                                          demo_sessions) -> None:
    status, payload = await bot.post(activity(outside_the_allowlist(connector), text="show me Jamie Ortiz",
                                              conversation_id="a:elsewhere"))
    assert status == 403 and payload["error"] == "serviceUrl host not allowed"
    assert connector.activities == [] and connector.requests == [], "no reply, no typing, nothing sent"
    assert await _references(demo_sessions, "a:elsewhere") == 0
    assert await _count(demo_sessions, ConversationTurn) == 0


async def test_healthz_reports_the_database(bot: BotClient) -> None:
    assert await bot.get("/healthz") == (200, {"status": "ok", "database": "up"})
