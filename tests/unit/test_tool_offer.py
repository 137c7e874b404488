"""The first step offers a model the tools a message can need (tools.offer), within ~3k input tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.loop import Agent
from agent.model import ModelReply, PlanningContext, TextSink
from tests.support.tool_offer_eval import LABELLED, evaluate
from tools.base import ToolDeps
from tools.offer import ALWAYS, first_step_tools
from tools.registry import TOOLS


@pytest.mark.parametrize("name", LABELLED)
def test_every_labelled_utterance_is_offered_its_tools_and_typical_first_calls_stay_under_3k_tokens(name: str) -> None:
    result = evaluate([name])[name]
    assert result["misses"] == []
    assert result["tokens_p95"] <= 3000, result


def test_a_message_offers_the_safety_pair_the_look_up_and_the_forms_and_only_the_tools_its_words_call_for() -> None:
    assert first_step_tools(["a student collapsed on the track and isn't breathing"]) == set(ALWAYS) | {"run_widget"}
    assert first_step_tools(["Jamie 42 laps on the pacer, Eli 38"]) >= {"record_fitness"}
    assert "record_fitness" not in first_step_tools(["schedule a parent meeting next Tuesday at 3:30pm"])
    assert first_step_tools(["schedule a parent meeting next Tuesday at 3:30pm"]) >= {"schedule_event"}
    assert first_step_tools(["12th grade pickleball, dinking and the kitchen rule, 50 minutes"]) >= {"plan_lesson"}
    # a follow-up is read with the user's previous message
    assert "plan_lesson" not in first_step_tools(["make it longer"])
    assert "plan_lesson" in first_step_tools(["make it longer", "plan a 45 minute volleyball lesson for grade 7"])
    # a tool without vocabulary here (added later) is always offered
    assert "export_records" in first_step_tools(["show me Zoe"], [*TOOLS, "export_records"])


class Scripted:
    """A model backend that records the tool names it is offered and answers in words."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.offered: list[set[str]] = []

    async def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], ctx: PlanningContext,
                       on_text: TextSink | None = None) -> ModelReply:
        self.offered.append({t["function"]["name"] for t in tools})
        return ModelReply(content="ok")


def _deps() -> ToolDeps:
    from domain.actor import Actor, Role

    actor = Actor(staff_id=1, school_id=1, role=Role.teacher, tenant_id="t", aad_object_id="a", display_name="A",
                  email="a@example.com", school_name="S", time_zone="UTC")
    # the scripted models answer without calling a tool, so no service is read
    return ToolDeps(actor=actor, services=object(), now=datetime(2026, 11, 24, tzinfo=UTC))


async def test_a_model_is_offered_the_turns_tools_and_the_offline_planner_every_tool() -> None:
    model, offline = Scripted("openai"), Scripted("offline")
    await Agent(backend=model, tools=TOOLS).run("show me Zoe Muller", _deps())
    await Agent(backend=model, tools=TOOLS).run("make it 50 minutes", _deps(),
                                                history=[{"role": "user", "content": "plan a soccer lesson, grade 4"},
                                                         {"role": "assistant", "content": "Here it is."}])
    await Agent(backend=offline, tools=TOOLS).run("show me Zoe Muller", _deps())
    assert model.offered[0] == set(ALWAYS) | {"run_widget"}
    assert "plan_lesson" in model.offered[1]
    assert offline.offered[0] == set(TOOLS)
