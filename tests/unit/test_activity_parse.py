"""bot/activity_json.parse_activity: the inbound activity is exactly msrest's ``Activity().deserialize(body)``."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botbuilder.schema import Activity
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channel.activity_json import _activity_classes, parse_activity, parse_model
from devtools.fakes.activities import ADELE, ALEX, BOT_ID, TENANT, activity

URL = "https://smba.example.invalid/amer/"
PLAYGROUND_URL = "http://localhost:56150/_connector"


def same(a: Any, b: Any) -> bool:
    """Model equality is msrest's (``__dict__ ==``, recursively); the classes must match too."""
    return type(a) is type(b) and a == b


def outcome(parse: Any, body: Any) -> Any:
    try:
        return parse(copy.deepcopy(body))
    except Exception as error:  # msrest refuses some bodies: the fast parser must refuse them the same way
        return type(error)


def stock(body: Any) -> Activity:
    return Activity().deserialize(body)


def teams_shapes() -> dict[str, dict[str, Any]]:
    """What Teams and the Agents Playground send (tests/e2e/README.md), with synthetic ids."""
    mention = {"type": "mention", "text": "<at>Faraday</at>", "mentioned": {"id": f"28:{BOT_ID}", "name": "Faraday"}}
    return {
        "message": activity(URL, text="show me Jamie Ortiz"),
        "message with a mention in a channel": activity(
            URL, text="<at>Faraday</at> lightning rule", conversation_type="channel", entities=[mention],
            channelData={"tenant": {"id": TENANT}, "team": {"id": "19:team", "name": "PE"},
                         "channel": {"id": "19:general"}}),
        "card submit": activity(URL, value={"action": "log_incident", "severity": "serious", "n": 3,
                                            "flags": [True, None, 1.5]}, replyToId="1795573442302-2311a6fc"),
        "Action.Execute invoke": activity(URL, type="invoke", name="adaptiveCard/action", replyToId="x",
                                          value={"action": {"type": "Action.Execute", "verb": "ack",
                                                            "data": {"alert_id": 7}}}),
        "conversation update": activity(URL, type="conversationUpdate",
                                        membersAdded=[{"id": "user-id-0", "aadObjectId": ALEX}, {"id": BOT_ID}]),
        "installation update": activity(URL, type="installationUpdate", action="add",
                                        channelData={"tenant": {"id": TENANT}, "source": {"name": "message"},
                                                     "settings": {"selectedChannel": {"id": "c-1"}}}),
        "playground message": {
            "type": "message", "text": "card", "textFormat": "plain", "id": "5d0c", "channelId": "msteams",
            "from": {"id": "user-id-0", "name": "Alex Wilber", "aadObjectId": ALEX},
            "timestamp": "2026-11-24T15:00:00.123Z", "localTimestamp": "2026-11-24T15:00:00.123+00:00",
            "localTimezone": "UTC", "serviceUrl": PLAYGROUND_URL,
            "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": "personal-chat-user-id-0"},
            "recipient": {"id": BOT_ID, "name": "Test Bot"}, "locale": "en-US",
            "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web",
                          "timezone": "UTC"}],
            "channelData": {"tenant": {"id": TENANT}},
        },
        "feedback invoke": activity(URL, type="invoke", name="message/submitAction", aad=ADELE,
                                    value={"actionName": "feedback", "actionValue": {
                                        "reaction": "like", "feedback": "{\"feedbackText\":\"ok\"}"}}),
        "attachments and unknown keys": activity(
            URL, text="see file", attachments=[{"contentType": "text/markdown", "name": "protocol.md",
                                                "content": {"downloadUrl": "https://files.example.invalid/x"}}],
            somethingNew={"nested": [1, 2]}, localTimezone="America/Chicago"),
        "an offset timestamp": activity(URL, text="hi", timestamp="2026-11-24T09:00:00.5-06:00"),
    }


@pytest.mark.parametrize("name", list(teams_shapes()))
def test_teams_activities_parse_as_msrest_does_on_the_fast_path(name: str) -> None:
    body = teams_shapes()[name]
    fast = parse_model(Activity, copy.deepcopy(body), _activity_classes())  # raises where parse_activity falls back
    assert same(fast, stock(copy.deepcopy(body)))
    assert same(parse_activity(copy.deepcopy(body)), stock(copy.deepcopy(body)))


def test_unknown_keys_are_kept_as_msrest_keeps_them() -> None:
    parsed = parse_activity(teams_shapes()["attachments and unknown keys"])
    assert parsed.additional_properties == {"somethingNew": {"nested": [1, 2]}}


def odd_shapes() -> dict[str, Any]:
    base = activity(URL, text="hi")
    return {
        "a number as text": {**base, "text": 5},
        "an account as a string": {**base, "from": "29:someone"},
        "an unparseable timestamp": {**base, "timestamp": "yesterday"},
        "members not a list": {**base, "membersAdded": {"id": "x"}},
        "a string where a bool belongs": {**base, "historyDisclosed": "true"},
        "an int where a bool belongs": {**base, "historyDisclosed": 1},
        "a list for a dict-typed model field": {**base, "conversation": ["a"]},
        "entities of the wrong kind": {**base, "entities": ["mention"]},
        "a list body": [base],
        "a string body": "hello",
    }


@pytest.mark.parametrize("name", list(odd_shapes()))
def test_shapes_the_fast_path_does_not_reproduce_get_msrests_own_outcome(name: str) -> None:
    body = odd_shapes()[name]
    fast, slow = outcome(parse_activity, body), outcome(stock, body)
    assert same(fast, slow) if isinstance(slow, Activity) else fast is slow


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
KEYS = st.sampled_from(["type", "id", "text", "timestamp", "from", "recipient", "conversation", "entities",
                        "attachments", "value", "channelData", "membersAdded", "replyToId", "historyDisclosed",
                        "textFormat", "speak", "unknownKey", "x"])
ACCOUNT = st.fixed_dictionaries({"id": st.text(max_size=6)}, optional={"name": st.text(max_size=6) | st.integers(),
                                                                       "aadObjectId": st.text(max_size=6)})
VALUES = JSON | ACCOUNT | st.lists(ACCOUNT, max_size=2) | st.sampled_from(["2026-11-24T15:00:00Z", "not a date"])


@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(KEYS, VALUES, max_size=8))
def test_any_json_body_gets_exactly_msrests_outcome(body: dict[str, Any]) -> None:
    fast, slow = outcome(parse_activity, body), outcome(stock, body)
    assert same(fast, slow) if isinstance(slow, Activity) else fast is slow


TEXT = st.text(max_size=12)
WELL_FORMED = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate", "event"]),
     "serviceUrl": st.just(URL), "from": ACCOUNT, "conversation": ACCOUNT},
    optional={"id": TEXT, "text": TEXT, "textFormat": st.sampled_from(["plain", "markdown"]), "recipient": ACCOUNT,
              "timestamp": st.sampled_from(["2026-11-24T15:00:00Z", "2026-11-24T15:00:00.123456+01:00"]),
              "entities": st.lists(st.fixed_dictionaries({"type": TEXT}, optional={"text": TEXT}), max_size=2),
              "membersAdded": st.lists(ACCOUNT.filter(lambda a: type(a.get("name", "")) is str), max_size=2),
              "attachments": st.lists(st.fixed_dictionaries({"contentType": TEXT}, optional={"content": JSON}),
                                      max_size=2),
              "value": JSON, "channelData": JSON, "historyDisclosed": st.booleans(), "somethingElse": JSON},
).filter(lambda b: all(type(a.get("name", "")) is str for a in (b["from"], b["conversation"], b.get("recipient", {}))))


@settings(max_examples=200, deadline=None)
@given(body=WELL_FORMED)
def test_well_formed_activities_take_the_fast_path_and_equal_msrests(body: dict[str, Any]) -> None:
    fast = parse_model(Activity, copy.deepcopy(body), _activity_classes())
    assert same(fast, stock(copy.deepcopy(body)))
