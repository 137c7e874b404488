"""Teams AI features through the running app with the real openai SDK against a scripted model: streaming in 1:1
chats, plain replies elsewhere, citations, feedback, conversation memory, and model failures."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.channel.shared_conversations import SENT_PRIVATELY
from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from devtools.fakes.openai_server import Step, call, say
from domain.models import MessageFeedback
from tests.support.app_client import BotClient, bot_settings, start_bot


def _stream_entities(a: dict) -> list[dict]:
    return [e for e in a.get("entities") or [] if e.get("type") == "streaminfo"]


async def test_a_personal_chat_streams_the_answer_and_closes_the_stream(ai_bot: BotClient, connector: FakeConnector, model) -> None:
    words = "Move everyone indoors now and wait thirty minutes after the last thunder before going back out."
    model.script = [Step(text=words, chunk_delay_s=0.12)]
    await ai_bot.post(activity(connector.url, text="thunder during soccer, what do I do?"))
    first, *middle, last = connector.activities
    informative = _stream_entities(first)[0]
    assert first["type"] == "typing" and informative["streamType"] == "informative" and informative["streamSequence"] == 1
    stream_id = first["_id"]
    chunks = [a for a in middle if a["type"] == "typing"]
    assert chunks, "at least one streaming chunk"
    sequences = [_stream_entities(c)[0]["streamSequence"] for c in chunks]
    assert sequences == sorted(sequences) and sequences[0] == 2
    assert all(_stream_entities(c)[0]["streamId"] == stream_id for c in chunks)
    texts = [c["text"] for c in chunks]
    assert all(words.startswith(t) for t in texts), "each chunk holds all earlier text"
    assert last["type"] == "message" and last["text"] == words
    final = _stream_entities(last)[0]
    assert final["streamType"] == "final" and final["streamId"] == stream_id
    assert last["channelData"]["feedbackLoopEnabled"] is True


async def test_a_group_chat_gets_a_typing_indicator_and_a_plain_reply(ai_bot: BotClient, connector: FakeConnector, model) -> None:
    model.script = [Step(text="Hello team.", delay_s=0.65)]
    await ai_bot.post(activity(connector.url, text="hello", conversation_type="groupChat", conversation_id="19:group"))
    kinds = [(a["type"], bool(_stream_entities(a))) for a in connector.activities]
    assert kinds == [("typing", False), ("message", False)]


@pytest.mark.parametrize("conversation_type", ["personal", "groupChat"])
async def test_an_answer_ready_at_once_is_the_first_visible_response(
    demo_db_url: str, redis_url: str, connector: FakeConnector, conversation_type: str
) -> None:
    """No "working on it" before an answer ready within ``informative_after_s`` (offline planner: milliseconds; the
    window is widened to its 1 s maximum, after a warm-up turn, so a loaded test machine cannot make it look slow)."""
    bot = await start_bot(bot_settings(demo_db_url, redis_url, informative_after_s=1.0), connector)
    try:
        await bot.post(activity(connector.url, text="show me Jamie Ortiz", conversation_id="a:warm-up"))  # cold start
        connector.activities.clear()
        await bot.post(activity(connector.url, text="show me Jamie Ortiz", conversation_type=conversation_type,
                                conversation_id=f"a:at-once-{conversation_type}"))
    finally:
        await bot.close()
        await bot.server.close()
    here = [a for a in connector.activities if a["_conversation"] == f"a:at-once-{conversation_type}"]
    assert [a["type"] for a in here] == ["message"]
    assert not _stream_entities(here[0])
    if conversation_type == "personal":
        assert here[0]["text"].startswith("Here is **Jamie Ortiz**")
    else:  # a student's profile is never posted in a group chat (tests/integration/test_shared_conversations.py)
        assert here[0]["text"] == SENT_PRIVATELY


async def test_a_slow_turn_shows_the_informative_update_first(ai_bot: BotClient, connector: FakeConnector, model) -> None:
    model.script = [Step(text="Done.", delay_s=0.65)]
    await ai_bot.post(activity(connector.url, text="hello"))
    first, last = connector.activities
    assert first["type"] == "typing" and _stream_entities(first)[0]["streamType"] == "informative"
    assert last["type"] == "message" and _stream_entities(last)[0]["streamType"] == "final"
    assert _stream_entities(last)[0]["streamId"] == first["_id"]


async def test_answers_from_the_knowledge_base_carry_teams_citations(ai_bot: BotClient, connector: FakeConnector, model) -> None:
    model.script = [call("search_knowledge", {"query": "lightning rule outdoor PE", "kind": "safety"}),
                    say("Stop play at the first thunder and wait 30 minutes after the last [1].")]
    await ai_bot.post(activity(connector.url, text="what's our lightning rule?"))
    passages = json.loads(model.received[1]["messages"][-1]["content"])["passages"]
    assert passages[0]["cite"] == "[1]"
    reply = connector.messages()[-1]
    label = next(e for e in reply["entities"] if e.get("@type") == "Message")
    assert label["additionalType"] == ["AIGeneratedContent"]
    claim = label["citation"][0]
    assert claim["position"] == 1 and claim["appearance"]["@type"] == "DigitalDocument"
    assert claim["appearance"]["name"] == passages[0]["title"]
    assert len(claim["appearance"]["abstract"]) <= 160
    assert len(label["citation"]) == 1, "only the sources the answer cites"


async def test_the_model_sees_the_earlier_turns_of_the_conversation(ai_bot: BotClient, connector: FakeConnector, model) -> None:
    model.script = [say("First answer."), say("Second answer.")]
    await ai_bot.post(activity(connector.url, text="first question"))
    await ai_bot.post(activity(connector.url, text="second question"))
    roles = [(m["role"], m.get("content")) for m in model.received[1]["messages"][1:]]
    assert roles == [("user", "first question"), ("assistant", "First answer."), ("user", "second question")]


async def test_feedback_is_stored_per_message(ai_bot: BotClient, connector: FakeConnector, demo_sessions_for) -> None:
    body = activity(connector.url, type="invoke", name="message/submitAction", replyToId="activity-7",
                    value={"actionName": "feedback",
                           "actionValue": {"reaction": "dislike", "feedback": json.dumps({"feedbackText": "Wrong protocol"})}})
    status, _ = await ai_bot.post(body)
    assert status == 200
    bad = activity(connector.url, type="invoke", name="message/submitAction", replyToId="activity-8",
                   value={"actionName": "feedback", "actionValue": {"reaction": "meh"}})
    assert (await ai_bot.post(bad))[0] == 400
    async with demo_sessions_for(ai_bot)() as s:
        rows = (await s.execute(select(MessageFeedback))).scalars().all()
    assert [(r.activity_id, r.reaction, r.text) for r in rows] == [("activity-7", "dislike", "Wrong protocol")]


async def test_a_truncated_stream_falls_back_to_the_offline_planner(ai_bot: BotClient, connector: FakeConnector, model) -> None:
    model.script = [Step(text="Half an answer that never", truncate=True), Step(text="x", truncate=True)]
    await ai_bot.post(activity(connector.url, text="show me Jamie Ortiz"))
    reply = connector.messages()[-1]
    assert reply["text"].startswith("Here is **Jamie Ortiz**")
    assert reply["attachments"][0]["content"]["body"][0]["text"] == "Jamie Ortiz"


async def test_an_offline_lesson_request_returns_a_cited_plan_card_that_saves_once(
    full_db_url: str, redis_url: str, connector: FakeConnector, demo_sessions_for
) -> None:
    client = await start_bot(bot_settings(full_db_url, redis_url), connector)
    try:
        await client.post(activity(connector.url, text="plan a 40 minute volleyball lesson for grade 4"))
        reply = connector.messages()[-1]
        card = reply["attachments"][0]["content"]
        text = json.dumps(card)
        assert "Warm-up" in text or "Warm up" in text
        label = next(e for e in reply["entities"] if e.get("@type") == "Message")
        assert label["citation"], "the plan cites the curriculum"
        save = next(a for a in card["actions"] if a["title"] == "Save")
        press = activity(connector.url, type="invoke", name="adaptiveCard/action",
                         value={"action": {"type": "Action.Execute", "verb": save["verb"], "data": save["data"]}})
        for _ in range(2):
            status, body = await client.post({**press, "id": f"press-{_}"})
            assert status == 200 and body["statusCode"] == 200
        from sqlalchemy import text as sql

        async with demo_sessions_for(client)() as s:
            count = (await s.execute(sql("SELECT count(*) FROM lesson_plans"))).scalar_one()
        assert count == 1
    finally:
        await client.close()
        await client.server.close()

