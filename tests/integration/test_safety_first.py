"""Issue #19 on the model path: the system prompt and tool descriptions the model receives put the protocol first, and
a turn where the (scripted) model follows them carries the protocol's numbered steps with citations and the prefilled
incident card together; the offline planner does the same without a model."""

from __future__ import annotations

import json

from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from devtools.fakes.openai_server import ScriptedOpenAI, calls, say
from tests.support.app_client import BotClient

CPR_FIRST_STEP = "Check responsiveness: tap and shout."


def _cards(message: dict) -> list[dict]:
    return [a["content"] for a in message.get("attachments") or [] if "adaptive" in a.get("contentType", "")]


async def test_the_model_is_told_to_put_the_protocol_first_and_gets_steps_then_911_then_notify(
    ai_bot: BotClient, connector: FakeConnector, model: ScriptedOpenAI,
) -> None:
    text = "Jamie Ortiz just collapsed during the relay and isn't breathing"
    model.script = [
        calls(("search_knowledge", {"query": "collapsed during the relay and isn't breathing", "kind": "safety",
                                    "situation": True}),
              ("log_incident", {"student": "Jamie Ortiz", "description": text, "severity": "critical",
                                "incident_type": "other", "activity": "relay", "location": None, "occurred_at": None,
                                "action_taken": None})),
        say(f"1. {CPR_FIRST_STEP} [1] The incident report card is below; press Save when you can."),
    ]
    await ai_bot.post(activity(connector.url, text=text))

    first = model.received[0]
    system = first["messages"][0]["content"]
    assert "Safety first" in system and "situation=true" in system
    tools = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert "describes a medical or safety situation" in tools["search_knowledge"]["description"]
    assert "situation" in tools["search_knowledge"]["parameters"]["properties"]
    assert "search_knowledge" in tools["log_incident"]["description"]

    results = [json.loads(m["content"]) for m in model.received[1]["messages"] if m["role"] == "tool"]
    search = next(r for r in results if "passages" in r)
    roles = [p["role"] for p in search["passages"]]
    assert roles[0] == "steps" and roles[-2:] == ["call_911", "notify"]
    assert search["passages"][0]["title"] == "Sudden Cardiac Arrest, CPR and AED Response"
    assert search["passages"][0]["text"].startswith(f"1. {CPR_FIRST_STEP}")
    assert search["passages"][0]["cite"] == "[1]"
    assert all(s["section"] != "Immediate Actions" for s in search["see_also"])

    reply = connector.messages()[-1]
    label = next(e for e in reply["entities"] if e.get("@type") == "Message")
    assert label["citation"][0]["appearance"]["name"] == "Sudden Cardiac Arrest, CPR and AED Response"
    assert any("Jamie" in json.dumps(card) for card in _cards(reply)), "the prefilled incident card comes along"


async def test_without_a_model_a_described_emergency_gets_the_steps_and_the_incident_card(
    full_bot: BotClient, connector: FakeConnector,
) -> None:
    await full_bot.post(activity(connector.url, text="Jamie Ortiz just collapsed during the relay and isn't breathing"))
    reply = connector.messages()[-1]
    assert reply["text"].index(CPR_FIRST_STEP) < reply["text"].index("incident report")
    assert "When to Call 911" in reply["text"]
    label = next(e for e in reply["entities"] if e.get("@type") == "Message")
    assert label["citation"][0]["appearance"]["name"] == "Sudden Cardiac Arrest, CPR and AED Response"
    assert any("Jamie" in json.dumps(card) for card in _cards(reply))


async def test_without_a_model_an_uncovered_emergency_is_named_and_nothing_is_cited_as_the_answer(
    full_bot: BotClient, connector: FakeConnector,
) -> None:
    await full_bot.post(activity(connector.url, text="a tornado siren is going off and we're out on the track"))
    reply = connector.messages()[-1]
    assert reply["text"].startswith("The district's documents don't cover tornado")
    assert not [e for e in reply.get("entities") or [] if e.get("@type") == "Message" and e.get("citation")]
