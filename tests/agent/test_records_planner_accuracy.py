"""The offline planner on recording utterances (attendance, fitness, rubric levels, equipment checks), with Alex
Wilber's real demo roster: the tuning set and the held-out set written before any rule (reported side by side)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from devtools.fakes.activities import ALEX, TENANT
from domain.identity import IdentityService
from domain.students import StudentService
from tests.support.records_eval import HELD_OUT, load, score

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


async def test_recording_utterances_meet_their_accuracy_target(demo_sessions) -> None:
    actor = await IdentityService(demo_sessions).resolve(TENANT, ALEX)
    assert actor is not None
    roster = await StudentService(demo_sessions).parsing_names(actor)
    tuned = score(load(), roster, NOW)
    held = score(load(HELD_OUT), roster, NOW)
    print("\ntuning set\n" + tuned.table() + "\n" + "\n".join(tuned.misses))
    print("\nheld-out set\n" + held.table() + "\n" + "\n".join(held.misses))
    assert tuned.accuracy() >= 0.9
    assert held.accuracy() >= 0.75
