"""Every field Faraday reads, with every wrong JSON type, and bodies nested too deeply: a 4xx saying where, before
authentication or any turn (nothing written, nothing sent), with and without ALLOWED_TENANTS. ``null`` is a wrong
type only for the required fields (for the others it means "absent")."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from devtools.fakes.activities import TENANT, activity
from devtools.fakes.connector import FakeConnector
from tests.security.test_fuzz import domain_rows
from tests.support.app_client import BotClient, bot_settings, start_bot
from tests.support.security import MODULE, UNLIMITED

pytestmark = MODULE

# field path -> (its JSON type, required)
READ: dict[str, tuple[str, bool]] = {
    "type": ("string", True), "id": ("string", False), "channelId": ("string", False),
    "serviceUrl": ("string", True),
    "from": ("object", True), "from.id": ("string", True), "from.aadObjectId": ("string", False),
    "from.name": ("string", False),
    "recipient": ("object", False), "recipient.id": ("string", False),
    "conversation": ("object", True), "conversation.id": ("string", True),
    "conversation.conversationType": ("string", False), "conversation.tenantId": ("string", False),
    "conversation.isGroup": ("bool", False),
    "channelData": ("object", False), "channelData.tenant": ("object", False), "channelData.tenant.id": ("string", False),
    "channelData.team": ("object", False), "channelData.channel": ("object", False),
    "channelData.meeting": ("object", False),
    "text": ("string", False), "value": ("object", False), "entities": ("list", False), "attachments": ("list", False),
    "name": ("string", False), "replyToId": ("string", False), "locale": ("string", False),
    "timestamp": ("string", False),
}
SAMPLES: dict[str, Any] = {"string": "x", "number": 7, "list": ["x"], "object": {"id": "x"}, "null": None,
                           "bool": True}
CASES = [(path, kind) for path, (expected, required) in READ.items() for kind in SAMPLES
         if kind != expected and (kind != "null" or required)]
CASES += [("entities", "list of strings"), ("attachments", "list of numbers")]


def mangled(url: str, path: str, kind: str) -> dict[str, Any]:
    body = activity(url, text="help")
    body.update(value={"action": "noop"}, entities=[], attachments=[], name="x", replyToId="1")
    body["conversation"]["isGroup"] = False
    body["recipient"]["id"] = "28:bot"
    body["channelData"].update(team={"id": "19:t"}, channel={"id": "19:c"}, meeting={"id": "m"})
    if kind == "list of strings":
        value: Any = ["x"]
    elif kind == "list of numbers":
        value = [1]
    else:
        value = copy.deepcopy(SAMPLES[kind])
    *parents, leaf = path.split(".")
    node = body
    for key in parents:
        node = node[key]
    node[leaf] = value
    return body


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clients(module_db: str, redis_server: str, fake_connector: FakeConnector) -> AsyncIterator[dict[str, BotClient]]:
    made = {
        "any tenant": await start_bot(bot_settings(module_db, redis_server, **UNLIMITED), fake_connector),
        "ALLOWED_TENANTS": await start_bot(bot_settings(module_db, redis_server, allowed_tenants=[TENANT],
                                                        **UNLIMITED), fake_connector),
    }
    yield made
    for client in made.values():
        await client.close()
        await client.server.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def baseline(module_db: str) -> tuple[int, int]:
    return await domain_rows(module_db)


@pytest.mark.parametrize("tenants", ["any tenant", "ALLOWED_TENANTS"])
@pytest.mark.parametrize(("path", "kind"), CASES)
async def test_a_field_of_the_wrong_json_type_gets_a_4xx_and_nothing_is_sent(
    clients: dict[str, BotClient], fake_connector: FakeConnector, baseline: tuple[int, int], tenants: str, path: str,
    kind: str,
) -> None:
    sent = len(fake_connector.activities)
    status, body = await clients[tenants].post(mangled(fake_connector.url, path, kind))
    assert status in (400, 401, 403), (path, kind, status, body)
    assert len(fake_connector.activities) == sent, (path, kind)
    if status == 400:
        assert path.split(".")[0] in json.dumps(body), f"the error says where: {body}"


@pytest.mark.parametrize("tenants", ["any tenant", "ALLOWED_TENANTS"])
@pytest.mark.parametrize("where", ["value", "channelData", "entities", "body"])
@pytest.mark.parametrize("depth", [65, 900, 5000, 20_000])
async def test_a_body_nested_too_deeply_gets_a_400(
    clients: dict[str, BotClient], fake_connector: FakeConnector, tenants: str, where: str, depth: int
) -> None:
    sent = len(fake_connector.activities)
    if where == "body":
        raw = ("[" * depth + "]" * depth).encode()
    else:
        body = activity(fake_connector.url, text="help")
        body[where] = [nested(depth)] if where == "entities" else nested(depth)
        raw = json.dumps(body).encode() if depth < 900 else _dump_deep(body, where, depth)
    status, answer = await clients[tenants].post(None, raw=raw)
    assert status == 400 and "nested" in json.dumps(answer), (status, answer)
    assert len(fake_connector.activities) == sent


def _dump_deep(body: dict[str, Any], where: str, depth: int) -> bytes:
    """json.dumps recurses, so build the deep part by hand."""
    deep = '{"a": ' * depth + '"deep"' + "}" * depth
    if where == "entities":
        deep = f"[{deep}]"
    body = {k: v for k, v in body.items() if k != where}
    return (json.dumps(body)[:-1] + f', "{where}": {deep}}}').encode()


async def test_a_moderately_nested_value_is_still_served(
    clients: dict[str, BotClient], fake_connector: FakeConnector
) -> None:
    sent = len(fake_connector.activities)
    body = activity(fake_connector.url, text="help", channelData={"tenant": {"id": TENANT}, "x": nested(40)})
    status, _ = await clients["ALLOWED_TENANTS"].post(body)
    assert status in (200, 201) and len(fake_connector.activities) > sent


async def test_nothing_was_written(clients: dict[str, BotClient], module_db: str, baseline: tuple[int, int]) -> None:
    assert await domain_rows(module_db) == baseline
