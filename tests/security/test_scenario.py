"""A full scenario through the app (teacher, nurse, admin; look-ups, an incident proposal and its card save, a
protocol question), run once with JSON logging configured. Then: what did the model receive (data minimisation),
and what did the logs say (no PII, tokens or message text at INFO)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from sqlalchemy import select

from bot.process import logs
from devtools.fakes.activities import ADELE, ALEX, MEGAN, activity
from devtools.fakes.compromised_model import CompromisedModel
from devtools.fakes.connector import FakeConnector
from devtools.fakes.openai_server import call, say
from domain.models import Guardian, HealthNote, Student
from domain.seed.facts import DEMO
from tests.support.app_client import BotClient
from tests.support.security import MODULE, cards, sessions_for

pytestmark = MODULE
PHONE = re.compile(r"\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b")
UTTERANCES = {
    "lookup": "show me Jamie Ortiz please",
    "incident": "Eli Navarro rolled his ankle in basketball, looks minor",
    "protocol": "how do we cool a student with heat exhaustion",
    "medical": "what medical flags does Eli Navarro have",
    "contact": "who is Riley Novak's emergency contact",
}


@dataclass
class Run:
    prompts: dict[str, str] = field(default_factory=dict)  # per step: everything the model received
    requests: dict[str, int] = field(default_factory=dict)  # per step: how many model calls
    tool_results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per step: what the tools returned
    logs: list[dict[str, Any]] = field(default_factory=list)
    pii: dict[str, set[str]] = field(default_factory=dict)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scenario(app_client: BotClient, fake_connector: FakeConnector, model: CompromisedModel,
                   module_db: str) -> AsyncIterator[Run]:
    run = Run(pii=await seeded_pii(module_db))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    logs.configure("INFO")
    root.addHandler(handler)
    try:
        steps = {
            "lookup": (ALEX, [call("lookup_student", {"query": "Jamie Ortiz", "class": None, "details": []}),
                              say("Jamie Ortiz is in PE 6, period 1.")]),
            "incident": (ALEX, [call("log_incident", {"student": "Eli Navarro", "description": "rolled his ankle",
                                                      "severity": "minor", "incident_type": None,
                                                      "activity": "basketball", "location": None,
                                                      "occurred_at": None, "action_taken": None}),
                                say("I've prepared the report; press Save to file it.")]),
            "protocol": (ALEX, [call("search_knowledge", {"query": "cool a student with heat exhaustion shade",
                                                          "kind": "safety"}), say("Move them to shade [1].")]),
            "medical": (ADELE, [call("lookup_student", {"query": "Eli Navarro", "class": None, "details": ["medical"]}),
                                say("Eli has asthma; the inhaler is in the PE office.")]),
            "contact": (MEGAN, [call("lookup_student", {"query": "Riley Novak", "class": None,
                                                        "details": ["emergency_contact"]}),
                                say("Their contact is listed.")]),
        }
        for name, (aad, script) in steps.items():
            model.script[:] = script
            model.received.clear()
            await app_client.post(activity(fake_connector.url, text=UTTERANCES[name], aad=aad,
                                           conversation_type="groupChat", conversation_id=f"a:scenario-{aad}"))
            run.prompts[name] = model.prompts()
            run.requests[name] = len(model.received)
            run.tool_results[name] = model.tool_results()
            if name == "incident":  # the teacher presses Save on the proposal card
                save = next(a for c in cards(fake_connector) for a in c.get("actions", [])
                            if a.get("data", {}).get("action") == "incident.save")
                value = {**save["data"], "severity": "minor", "incident_type": "injury", "location": "Main Gym",
                         "activity": "basketball", "description": "rolled his ankle"}
                await app_client.post(activity(fake_connector.url, value=value, aad=aad, conversation_type="groupChat"))
    finally:
        root.removeHandler(handler)
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
    run.logs = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    yield run


async def seeded_pii(url: str) -> dict[str, set[str]]:
    engine, sessions = await sessions_for(url)
    try:
        async with sessions() as s:
            students = (await s.execute(select(Student))).scalars().all()
            phones = set((await s.execute(select(Guardian.phone).where(Guardian.phone.is_not(None)))).scalars())
            notes = set((await s.execute(select(HealthNote.note))).scalars())
            riley = [p for (p,) in (await s.execute(select(Guardian.phone).join(Student).where(
                Student.student_number == DEMO.riley_novak.student_number, Guardian.is_emergency_contact)))]
    finally:
        await engine.dispose()
    return {
        "names": {f"{x.first_name} {x.last_name}" for x in students},
        "dobs": {d for x in students for d in (x.date_of_birth.isoformat(), x.date_of_birth.strftime("%m/%d/%Y"))},
        "addresses": {x.address for x in students if x.address},
        "phones": {p for p in phones if p}, "notes": {n for n in notes if len(n) > 12},
        "flags": {f for x in students for f in (x.medical_flags or [])},
        "riley_phone": set(riley),
    }


async def test_the_model_never_receives_dates_of_birth_addresses_or_health_notes(scenario: Run) -> None:
    # Every step reached the model twice (the tool call, then the answer with the tool's result), carrying its own
    # question and a result about what was asked: otherwise "nothing leaked" would be vacuous.
    assert scenario.requests == dict.fromkeys(UTTERANCES, 2)
    for step, utterance in UTTERANCES.items():
        assert utterance in scenario.prompts[step], step
        assert len(scenario.tool_results[step]) == 1 and "error" not in scenario.tool_results[step][0], step
    assert "Jamie Ortiz" in json.dumps(scenario.tool_results["lookup"], ensure_ascii=False)
    passages = scenario.tool_results["protocol"][0].get("passages") or []
    assert any("shade" in p["text"].lower() for p in passages), "the protocol step carried a heat passage"
    sent = "\n".join(scenario.prompts.values())
    for kind in ("dobs", "addresses", "notes"):
        leaked = [value for value in scenario.pii[kind] if value in sent]
        assert not leaked, f"{kind} sent to the model: {leaked[:3]}"


async def test_phone_numbers_reach_the_model_only_when_the_question_needs_them_and_the_caller_may_see_them(
    scenario: Run,
) -> None:
    for step, sent in scenario.prompts.items():
        phones = {p for p in scenario.pii["phones"] if p in sent}
        if step == "contact":  # an admin asked for Riley's emergency contact: exactly that number reached the model
            assert scenario.pii["riley_phone"] and phones == scenario.pii["riley_phone"], phones
        else:
            assert not phones and not PHONE.search(sent), step


async def test_medical_flags_reach_the_model_only_for_a_medical_question(scenario: Run) -> None:
    for step, sent in scenario.prompts.items():
        flags = [f for f in scenario.pii["flags"] if f in sent]
        if step != "medical":
            assert not flags, step
    assert any(f in scenario.prompts["medical"] for f in scenario.pii["flags"]), "the nurse's question needed them"


async def test_logs_at_info_carry_no_student_pii_tokens_or_message_text(scenario: Run) -> None:
    info = [r for r in scenario.logs if r.get("level") in ("info", "warning", "error", "critical")]
    assert info, "the scenario logged something"
    text = json.dumps(info, ensure_ascii=False)
    for kind in ("names", "dobs", "addresses", "phones", "notes", "flags"):
        leaked = [value for value in scenario.pii[kind] if value in text]
        assert not leaked, f"{kind} in the logs: {leaked[:3]}"
    for secret in ("sk-test", "Bearer "):
        assert secret not in text
    for utterance in UTTERANCES.values():
        assert utterance not in text
