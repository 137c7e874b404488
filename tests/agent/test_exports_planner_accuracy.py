"""The offline planner on export requests ("export the period 3 attendance to a spreadsheet"), with Alex Wilber's
demo roster: the labelled set and the held-out set written before the rule (reported side by side). Look-alikes
("show me period 1 attendance", "take attendance for period 1") must keep their own tools."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from devtools.fakes.activities import ALEX, TENANT
from domain.identity import IdentityService
from domain.students import StudentService
from tests.support.exports_eval import HELD_OUT, load, score

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


async def test_export_requests_route_to_export_data(demo_sessions) -> None:  # type: ignore[no-untyped-def]
    actor = await IdentityService(demo_sessions).resolve(TENANT, ALEX)
    assert actor is not None
    roster = await StudentService(demo_sessions).parsing_names(actor)
    tuned = score(load(), roster, NOW)
    held = score(load(HELD_OUT), roster, NOW)
    print("\nlabelled set: " + tuned.line() + "\n" + "\n".join(tuned.misses))
    print("held-out set: " + held.line() + "\n" + "\n".join(held.misses))
    assert tuned.others_ok == tuned.others and held.others_ok == held.others  # nothing else is taken for an export
    assert tuned.accuracy >= 0.9
    assert held.accuracy >= 0.8
