"""bot/channel/activity_json.py: the connector's request bodies are exactly msrest's, for every kind of activity we
send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from botbuilder.core import MessageFactory
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    SuggestedActions,
)
from botbuilder.schema.teams import TeamsChannelAccount
from botframework.connector import models
from hypothesis import given, settings
from hypothesis import strategies as st
from msrest.serialization import Serializer

from bot.cards.elements import attachment
from bot.channel.activity_json import FastSerializer, model_json, serialize
from bot.channel.ai_entities import ai_entity
from bot.channel.streaming import StreamInfoEntity
from tests.support.cards import TRICKY, all_cards
from tools.base import Citation

MODELS = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}
STOCK = Serializer(MODELS)
FAST = FastSerializer(MODELS)


def addressed(activity: Activity) -> Activity:
    """As botbuilder sends a reply: addressed from the bot to the user in a Teams conversation."""
    activity.type = activity.type or ActivityTypes.message
    activity.from_property = ChannelAccount(id="28:bot", name="Faraday")
    activity.recipient = ChannelAccount(id="29:user", name="Test User", aad_object_id="00000000-0000-0000-0000-1")
    activity.conversation = ConversationAccount(id="a:conv", conversation_type="personal", tenant_id="t-1")
    activity.reply_to_id = "1700000000000"
    activity.service_url = "https://smba.example.invalid/amer/"
    activity.channel_id = "msteams"
    activity.locale = "en-US"
    return activity


def common() -> dict[str, Activity]:
    cards = {f"card: {name}": addressed(MessageFactory.attachment(attachment(card)))
             for name, card in all_cards().items()}
    cited = addressed(MessageFactory.text(f"Move indoors [1]. {TRICKY}"))
    cited.text_format = "markdown"
    cited.entities = [ai_entity("Move indoors [1].", [Citation("Lightning", "30-30 rule", "Wait 30 minutes", "x")])]
    cited.channel_data = {"feedbackLoopEnabled": True}
    typing = addressed(Activity(type=ActivityTypes.typing, text="Looking…",
                                entities=[StreamInfoEntity(stream_type="streaming", stream_id="s-1",
                                                           stream_sequence=2)]))
    timed = addressed(MessageFactory.text("ünïcödé ✓ \u2028 \"quoted\""))
    timed.timestamp = datetime(2026, 11, 24, 16, 30, 5, 123456, tzinfo=UTC)
    timed.local_timestamp = datetime(2026, 11, 24, 10, 30, 5, tzinfo=timezone(timedelta(hours=-6)))
    timed.suggested_actions = SuggestedActions(to=["29:user"], actions=[
        CardAction(type="imBack", title="Yes", value="yes"), CardAction(type="imBack", title="No", value=None)])
    timed.value = {"n": 1, "f": 1.5, "b": False, "none": None, "list": [1, None, "x", {"deep": [True]}]}
    timed.attachments = [Attachment(content_type="text/plain", content="plain", name="a.txt"), None]
    return {"cited text": cited, "streamed typing": typing, "dates, unicode, actions, value": timed, **cards}


@pytest.mark.parametrize("name", list(common()))
def test_the_fast_body_is_msrests_and_takes_the_fast_path(name: str) -> None:
    activity = common()[name]
    # model_json raises where FAST.body would fall back to msrest
    assert model_json(activity, MODELS) == STOCK.body(activity, "Activity")
    assert FAST.body(activity, "Activity") == STOCK.body(activity, "Activity")


def unusual() -> dict[str, Activity]:
    teams_user = addressed(MessageFactory.text("hi"))
    teams_user.recipient = TeamsChannelAccount(id="29:user", name="U", email="u@example.invalid")
    dict_for_model = addressed(MessageFactory.text("hi"))
    dict_for_model.attachments = [{"contenttype": "text/plain", "content": "raw", "extra": 1}]  # type: ignore[list-item]
    odd_object = addressed(MessageFactory.text("hi"))
    odd_object.value = {"when": datetime(2026, 1, 2, tzinfo=UTC), "pair": (1, 2), 3: "int key"}
    enum_in_object = addressed(MessageFactory.text("hi"))
    enum_in_object.channel_data = {"type": ActivityTypes.message}
    return {"teams account subclass": teams_user, "a dict with keys msrest matches loosely or drops": dict_for_model,
            "datetime, tuple and int key in object": odd_object, "enum in object": enum_in_object}


def outcome(serializer: Serializer, activity: Activity) -> Any:
    try:
        return serializer.body(activity, "Activity")
    except Exception as error:  # msrest refuses some shapes: the fast serializer must refuse them the same way
        return type(error)


@pytest.mark.parametrize("name", list(unusual()))
def test_shapes_the_fast_path_does_not_reproduce_go_to_msrest_whole(name: str) -> None:
    activity = unusual()[name]
    assert outcome(FAST, activity) == outcome(STOCK, activity)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(value=JSON, channel_data=JSON, text=st.text(max_size=30) | st.none())
def test_any_json_in_object_fields_serialises_as_msrest_does(value: Any, channel_data: Any, text: str | None) -> None:
    activity = addressed(Activity(type="message", text=text, value=value, channel_data=channel_data))
    assert FAST.body(activity, "Activity") == STOCK.body(activity, "Activity")


def test_connector_clients_get_the_fast_serializer() -> None:
    from botframework.connector import ConnectorClient
    from botframework.connector.auth import MicrosoftAppCredentials

    from bot.channel.connector_http import ConnectorTransport

    credentials = MicrosoftAppCredentials("", "")
    client = ConnectorTransport().install(ConnectorClient(credentials, base_url="https://smba.example.invalid/amer/"))
    assert isinstance(client.conversations._serialize, FastSerializer)


@pytest.mark.parametrize("name", list(common()))
def test_a_conversation_reference_serialises_as_model_serialize_does(name: str) -> None:
    from botbuilder.core import TurnContext

    activity = common()[name]
    activity.id = "1700000000001"
    reference = TurnContext.get_conversation_reference(activity)
    assert model_json(reference) == reference.serialize()  # the fast path was taken
    assert serialize(reference) == reference.serialize()
