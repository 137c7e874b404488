"""The admin text commands: recognised forms, other text left to the agent, refusals, re-sent commands."""

from __future__ import annotations

from types import SimpleNamespace

from bot.commands.emergency import NOT_ADMIN, emergency_command
from domain.seed.facts import DEMO
from tests.support.emergencies import School


async def test_other_text_is_left_to_the_agent(school: School) -> None:
    services = SimpleNamespace(emergencies=school.service())
    megan = await school.actor(DEMO.megan.email)
    for said in ("what is the evacuation protocol?", "lockdown procedures for the gym", "all clear for soccer?",
                 "emergency contact for Jamie Ortiz"):
        assert await emergency_command(said, megan, services) is None, said
    assert await school.rows("SELECT id FROM emergencies") == []


async def test_a_teacher_is_refused_and_nothing_starts(school: School) -> None:
    services = SimpleNamespace(emergencies=school.service())
    alex = await school.actor(DEMO.alex.email)
    assert "Only your school's administrators" in (await emergency_command("emergency lockdown", alex, services) or "")
    assert await emergency_command("emergency status", alex, services) == NOT_ADMIN
    assert "Only your school's administrators" in (await emergency_command("all clear", alex, services) or "")
    assert await school.rows("SELECT id FROM emergencies") == []


async def test_drill_status_resend_and_all_clear(school: School) -> None:
    services = SimpleNamespace(emergencies=school.service())
    megan = await school.actor(DEMO.megan.email)
    started = await emergency_command("Evacuation drill for period 3", megan, services) or ""
    assert started.startswith("**Evacuation drill for period 3** started: 3 class(es)")
    again = await emergency_command("evacuation drill for period 3", megan, services) or ""
    assert "already under way; nothing new was started" in again
    status = await emergency_command("emergency status", megan, services) or ""
    assert "Classes accounted for: 0 of 3" in status and status.count("**not answered**") == 3
    assert "**All clear** given" in (await emergency_command("All clear!", megan, services) or "")
    assert "No emergency is open" in (await emergency_command("all clear", megan, services) or "")
    assert "closed by Megan Bowen" in (await emergency_command("emergency status", megan, services) or "")
    severe = await emergency_command("emergency severe weather for period 3", megan, services) or ""
    assert severe.startswith("**Severe weather for period 3** started")
    rows = await school.rows("SELECT kind, drill FROM emergencies ORDER BY id")
    assert rows == [{"kind": "evacuation", "drill": True}, {"kind": "severe_weather", "drill": False}]
