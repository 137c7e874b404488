"""The model-written plan, against the scripted OpenAI-compatible server: valid JSON is validated and shown;
wrong minutes, uncited sections, malformed JSON or a failing API fall back to the curriculum assembly with a note."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from devtools.fakes.openai_server import ScriptedOpenAI, error, say
from domain.lessons import TIMED, LessonContent, LessonRequest
from knowledge.lesson_builder import assemble
from knowledge.lesson_material import UnitMaterial, find_unit
from knowledge.lesson_writers import OpenAILessonWriter
from tests.support.lessons import Deps
from tools.plan_lesson import plan_lesson

ARGS = {"grade": 5, "topic": "volleyball lead-up games", "duration_minutes": 40, "equipment": None, "class": None}


@pytest.fixture
async def server() -> AsyncIterator[ScriptedOpenAI]:
    fake = await ScriptedOpenAI().start()
    yield fake
    await fake.close()


def writer(server: ScriptedOpenAI) -> OpenAILessonWriter:
    return OpenAILessonWriter(api_key="test-key", model="gpt-test", base_url=server.base_url, timeout_s=5,
                              max_retries=0)


def model_json(unit: UnitMaterial, request: LessonRequest, **minutes: int) -> str:
    """A plan as a model would write it: LessonContent fields, cites as the prompt's passage numbers."""
    plan = assemble(request, unit)
    passages = [s.chunk_id for s in [*unit.sections, *unit.extras]]
    number = {s.label: passages.index(s.chunk_id) + 1 for s in plan.citations}
    content = plan.model_dump(include=set(LessonContent.model_fields))
    content["title"] = "Volleyball lead-ups: bump and Newcomb"
    content["warm_up"]["activities"] = ["Balloon keep-up in pairs, calling names before each hit."]
    for objective in content["objectives"]:
        objective["cites"] = [number[c] for c in objective["cites"]]
    for name in LessonContent.model_fields:
        if isinstance(content[name], dict):
            content[name]["cites"] = [number[c] for c in content[name]["cites"]]
    for name, value in minutes.items():
        content[name]["minutes"] = value
    return json.dumps(content)


async def unit_for(deps: Deps) -> UnitMaterial:
    unit = await find_unit(deps.retriever, 5, "volleyball lead-up games")
    assert unit is not None
    return unit


async def test_a_valid_model_plan_is_validated_and_shown_with_its_sources(deps: Deps, alex, server) -> None:  # type: ignore[no-untyped-def]
    unit = await unit_for(deps)
    server.script = [say(model_json(unit, LessonRequest(grade=5, topic=ARGS["topic"], duration_minutes=40)))]
    result = await plan_lesson(dict(ARGS), deps(alex, writer(server)))
    shown = result.display[0]
    assert shown.writer == "openai" and shown.plan.title == "Volleyball lead-ups: bump and Newcomb"
    assert shown.plan.warm_up.activities == ["Balloon keep-up in pairs, calling names before each hit."]
    assert sum(getattr(shown.plan, n).minutes for n in TIMED) == 40 and not shown.plan.notes
    sent = server.received[0]
    assert sent["model"] == "gpt-test" and sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert "Curriculum passages:" in sent["messages"][1]["content"] and "[1]" in sent["messages"][1]["content"]
    assert {s.chunk_id for s in shown.plan.citations} <= {s.chunk_id for s in [*unit.sections, *unit.extras]}


@pytest.mark.parametrize("case", ["minutes", "uncited", "malformed", "server_error"])
async def test_an_invalid_model_plan_falls_back_to_the_offline_plan_with_a_note(deps: Deps, alex, server,  # type: ignore[no-untyped-def]
                                                                                case: str) -> None:
    unit = await unit_for(deps)
    request = LessonRequest(grade=5, topic=ARGS["topic"], duration_minutes=40)
    if case == "minutes":
        server.script = [say(model_json(unit, request, warm_up=20))]
    elif case == "uncited":
        content: dict[str, Any] = json.loads(model_json(unit, request))
        content["safety_notes"]["cites"] = [99]
        server.script = [say(json.dumps(content))]
    elif case == "malformed":
        server.script = [say('{"title": "half a plan"')]
    else:
        server.script = [error(500)]
    result = await plan_lesson(dict(ARGS), deps(alex, writer(server)))
    shown = result.display[0]
    assert shown.writer == "offline"
    assert shown.plan.model_copy(update={"notes": []}) == assemble(request, unit)  # exactly the offline plan
    assert sum(getattr(shown.plan, n).minutes for n in TIMED) == 40
    note = shown.plan.notes[0]
    assert note.startswith("The AI-written plan was not used") and "assembled directly from the curriculum" in note
    if case == "minutes":
        assert "section minutes add up to 54, not 40" in note
    if case == "uncited":
        assert "Safety notes" in note
    assert result.for_model["notes"][0] == note
