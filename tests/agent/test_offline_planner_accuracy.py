"""The offline planner on the labelled set of teacher utterances, with Alex Wilber's real demo roster."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from devtools.fakes.activities import ALEX, TENANT
from domain.identity import IdentityService
from domain.students import StudentService
from tests.support.planner_eval import HELD_OUT, load, score

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


async def test_the_offline_planner_meets_its_accuracy_targets(demo_sessions) -> None:
    actor = await IdentityService(demo_sessions).resolve(TENANT, ALEX)
    assert actor is not None
    roster = await StudentService(demo_sessions).parsing_names(actor)
    result = score(load(), roster, NOW)
    print("\n" + result.table())
    print("\n".join(result.misses))
    assert result.accuracy("no_tool") == 1.0, "a no-tool utterance must never call a tool"
    assert result.accuracy() >= 0.95


async def test_the_offline_planner_on_the_held_out_set(demo_sessions) -> None:
    """A second set written blind after the planner was tuned on the first: an honest estimate, reported, with a
    floor well under the tuned set's figure and the no-tool rule kept strict."""
    actor = await IdentityService(demo_sessions).resolve(TENANT, ALEX)
    assert actor is not None
    roster = await StudentService(demo_sessions).parsing_names(actor)
    result = score(load(HELD_OUT), roster, NOW)
    print("\nheld-out\n" + result.table())
    print("\n".join(result.misses))
    assert result.accuracy("no_tool") == 1.0
    assert result.accuracy() >= 0.72
