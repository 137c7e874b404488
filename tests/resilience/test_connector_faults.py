"""Connector (Teams service) faults on the bot's replies: what botbuilder 4.17 does, and what Faraday guarantees.

botbuilder's ConnectorClient (msrest over aiohttp) does not retry: a 429/5xx/timeout on a reply raises out of the turn.
The guarantees tested here: the turn fails cleanly (a 500 without a stack trace, so Teams re-sends), a re-send of the
same activity is then answered (the de-duplication claim is released when the turn fails), and a reply the
connector accepted is never sent twice. A hung connector times out after ``connector_timeout_s`` (not msrest's 100 s),
inside Teams' 15 s re-send window, with a warning: the send is ambiguous, so a re-send may deliver it twice."""

from __future__ import annotations

import logging
import time

from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from tests.support.resilience import settings_for

CLEAN_500 = {"error": "the bot could not process this activity"}


def _finals(connector: FakeConnector) -> list[dict]:
    return [a for a in connector.messages() if (a.get("text") or "").startswith("Here is **Jamie Ortiz**")]


async def test_a_429_on_the_reply_is_retried_after_retry_after_and_delivered_once(
    demo_db_url: str, redis_url: str, connector: FakeConnector, bots
) -> None:
    # "Working on it" only after 1 s (the maximum): the fault must hit the reply itself, not an informative update
    client = await bots(settings_for(demo_db_url, redis_url, informative_after_s=1.0), connector)
    connector.fail_next(429, count=1, retry_after=0.2)
    status, body = await client.post(activity(connector.url, text="show me Jamie Ortiz"))
    # a 429 means "not delivered": retrying is safe
    assert status == 201, body
    assert len(_finals(connector)) == 1
    assert [a["type"] for a in connector.activities] == ["message"], "the 429 hit the reply, which was retried"


async def test_a_502_on_the_reply_fails_cleanly_and_the_teams_resend_is_answered_exactly_once(
    demo_db_url: str, redis_url: str, connector: FakeConnector, bots
) -> None:
    client = await bots(settings_for(demo_db_url, redis_url, informative_after_s=1.0), connector)  # see above
    incoming = activity(connector.url, text="show me Jamie Ortiz", conversation_type="groupChat")
    connector.fail_next(502, count=1)
    status, body = await client.post(incoming)
    assert status == 500 and body == CLEAN_500  # Teams re-sends on a 5xx
    assert _finals(connector) == []
    status, _ = await client.post(incoming)  # the re-send, same activity id
    assert status == 201
    assert len(_finals(connector)) == 1, "answered once: not lost to de-duplication, not duplicated"


async def test_a_reply_the_connector_accepted_is_not_sent_again_on_a_resend(
    demo_db_url: str, redis_url: str, connector: FakeConnector, bots
) -> None:
    client = await bots(settings_for(demo_db_url, redis_url), connector)
    incoming = activity(connector.url, text="show me Jamie Ortiz")
    assert (await client.post(incoming))[0] == 201
    assert (await client.post(incoming))[0] == 201  # Teams re-sent after a slow 201
    assert len(_finals(connector)) == 1


async def test_a_hung_connector_fails_the_turn_inside_teams_resend_window_and_the_resend_is_answered_once(
    demo_db_url: str, redis_url: str, connector: FakeConnector, bots, caplog
) -> None:
    # The answer goes to the private chat (tests/integration/test_shared_conversations.py); the connector hangs on
    # opening it. "Working on it" comes after 1 s, so the turn fails before anything is shown: a clean 500.
    client = await bots(settings_for(demo_db_url, redis_url, connector_timeout_s=0.5, informative_after_s=1.0),
                        connector)
    incoming = activity(connector.url, text="show me Jamie Ortiz", conversation_type="groupChat")
    connector.hang_next(5.0, where=lambda path: path.rstrip("/") == "/v3/conversations")  # not the group's typing
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.channel.connector_http"):
        status, body = await client.post(incoming)
    assert status == 500 and body == CLEAN_500 and time.monotonic() - started < 4.0  # not msrest's 100 s
    assert any("timed out" in r.getMessage() for r in caplog.records), "an ambiguous send is logged, not silent"
    assert _finals(connector) == []
    status, _ = await client.post(incoming)  # Teams' re-send
    assert status == 201 and len(_finals(connector)) == 1
