"""Two bot app instances (two HTTP servers, each its own engine, Redis client, adapter and alert relay) against the
same PostgreSQL and Valkey, hit alternately: de-duplication across replicas, conversation memory continuity and card
confirmations stay correct. Alert delivery by two relays at once (exactly once) is proven in
tests/alerts/test_delivery.py::test_two_relays_with_separate_engines_deliver_everything_exactly_once, and all of it
with two OS processes in tests/resilience/test_scale_out_processes.py."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.routes import ENGINE
from devtools.fakes.activities import activity
from devtools.fakes.connector import FakeConnector
from devtools.fakes.openai_server import ScriptedOpenAI, call, say
from domain.db import make_sessionmaker
from domain.models import Incident
from tests.support.card_flow import card_action, card_inputs, execute
from tests.support.resilience import backend_for, settings_for


async def _two(bots, db_url: str, redis_url: str, connector: FakeConnector, model: ScriptedOpenAI | None = None):  # type: ignore[no-untyped-def]
    kwargs = (lambda: {"backend": backend_for(model)}) if model is not None else (lambda: {})
    a = await bots(settings_for(db_url, redis_url), connector, **kwargs())
    b = await bots(settings_for(db_url, redis_url), connector, **kwargs())
    assert a.server.port != b.server.port
    return a, b


async def test_the_same_activity_on_both_replicas_is_answered_once(demo_db_url: str, redis_url: str,
                                                                   connector: FakeConnector, bots) -> None:
    a, b = await _two(bots, demo_db_url, redis_url, connector)
    sequential = activity(connector.url, text="show me Jamie Ortiz")
    assert (await a.post(sequential))[0] == 201
    assert (await b.post(sequential))[0] == 201
    assert len(connector.messages()) == 1
    at_once = activity(connector.url, text="show me Zoe Muller")
    results = await asyncio.gather(a.post(at_once), b.post(at_once))
    assert [s for s, _ in results] == [201, 201]
    assert len(connector.messages()) == 2


async def test_conversation_memory_follows_the_user_across_replicas(demo_db_url: str, redis_url: str,
                                                                    connector: FakeConnector, model: ScriptedOpenAI,
                                                                    bots) -> None:
    a, b = await _two(bots, demo_db_url, redis_url, connector, model)
    model.script = [call("lookup_student", {"query": "Jamie Ortiz"}), say("Jamie Ortiz is in PE 6."),
                    say("She has no incidents this term.")]
    assert (await a.post(activity(connector.url, text="show me Jamie Ortiz")))[0] == 201
    assert (await b.post(activity(connector.url, text="any incidents for her?")))[0] == 201
    sent = model.received[-1]["messages"]
    contents = [m.get("content") for m in sent]
    assert "show me Jamie Ortiz" in contents and "Jamie Ortiz is in PE 6." in contents, contents
    assert connector.messages()[-1]["text"] == "She has no incidents this term."


async def test_save_pressed_on_one_replica_then_the_other_writes_one_row(demo_db_url: str, redis_url: str,
                                                                         connector: FakeConnector, bots) -> None:
    a, b = await _two(bots, demo_db_url, redis_url, connector)
    sessions = make_sessionmaker(a.server.app[ENGINE])

    async def incidents() -> int:
        async with sessions() as s:
            return int((await s.execute(select(func.count()).select_from(Incident)
                                        .where(Incident.idempotency_key.is_not(None)))).scalar_one())

    await a.post(activity(connector.url, text="Jamie Ortiz rolled her ankle in basketball, looks minor"))
    card = connector.messages()[-1]["attachments"][0]["content"]
    press = execute(connector, card_action(card, "Save"), card_inputs(card))
    first = await a.post(press)
    second = await b.post({**press, "id": "pressed-again-on-b"})
    assert first[0] == second[0] == 200
    assert first[1]["value"]["body"][0]["text"] == second[1]["value"]["body"][0]["text"]
    assert await incidents() == 1

    # pressed on both replicas at the same moment
    await b.post(activity(connector.url, text="Zoe Muller scraped her knee on the track, minor"))
    card = connector.messages()[-1]["attachments"][0]["content"]
    press = execute(connector, card_action(card, "Save"), card_inputs(card))
    results = await asyncio.gather(a.post({**press, "id": "race-a"}), b.post({**press, "id": "race-b"}))
    assert [s for s, _ in results] == [200, 200]
    texts = {body["value"]["body"][0]["text"] for _, body in results}
    assert len(texts) == 1 and next(iter(texts)).startswith("Incident #"), texts
    assert await incidents() == 2
