"""Who Faraday cannot reach (#24.3; the Graph install is in test_teams_install.py): the admin's ``reachability``
command on the demo district (real PostgreSQL): unlinked staff, staff without a 1:1 chat and staff whose last brief
failed since their chat was stored are listed with the reason, reachable staff are not; a chat stored after the
failure clears it; a nurse is refused; both looks are audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bot.commands.reach import reach_command
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.reach import Reachability
from domain.seed.facts import DEMO
from domain.teams_install_jobs import TeamsInstallJobs
from tests.support.alerts import FakeClock, World
from tests.support.emergencies import card_texts

NOW = datetime(2026, 11, 20, 15, 40, tzinfo=UTC)


@dataclass(frozen=True)
class ReachOnly:
    reach: Reachability | None
    teams_install: TeamsInstallJobs | None = None


async def test_admins_see_who_cannot_be_reached_and_why(demo_sessions: Any, connector: RateLimitedConnector) -> None:
    world = World(demo_sessions, connector, FakeClock(NOW))
    for email in (DEMO.alex.email, DEMO.megan.email):
        await world.remember(email)
    isaiah, patti = await world.actor(DEMO.isaiah.email), await world.actor(DEMO.patti.email)
    patti_chat = await world.remember(DEMO.patti.email)
    async with demo_sessions() as s, s.begin():
        await s.execute(text("UPDATE conversation_references SET updated_at = :at WHERE conversation_id = :c"),
                        {"at": NOW - timedelta(days=1), "c": patti_chat})  # her chat is older than the failure
        await s.execute(text("INSERT INTO pre_class_briefs (class_id, teacher_id, day, starts_at, status, attempts,"
                             " next_attempt_at, last_error, created_at) SELECT c.id, :t, '2026-11-20', :now,"
                             " 'failed', 1, :now, '403: BotNotInConversationRoster', :now FROM classes c"
                             " ORDER BY c.id LIMIT 1"), {"now": NOW, "t": patti.staff_id})
        await s.execute(text("UPDATE staff SET tenant_id = NULL, aad_object_id = NULL WHERE id = :i"),
                        {"i": isaiah.staff_id})
    services = ReachOnly(Reachability(demo_sessions, clock=world.clock))

    shown = await reach_command("who can't be reached?", await world.actor(DEMO.megan.email), services)
    assert shown is not None and shown.cards
    lines = [t for t in card_texts(shown.cards[0]) if t.startswith("• ")]
    by_name = {line[2:].split(" (")[0]: line for line in lines}
    assert "not linked to Teams" in by_name[DEMO.isaiah.display_name]
    assert "the last message failed: 403: BotNotInConversationRoster" in by_name[DEMO.patti.display_name]
    assert DEMO.alex.display_name not in by_name and DEMO.megan.display_name not in by_name
    assert "no 1:1 chat with Faraday yet" in by_name[DEMO.adele.display_name]  # the nurse never messaged Faraday

    async with demo_sessions() as s, s.begin():  # a chat stored after the failure (she wrote, or was installed for)
        await s.execute(text("UPDATE conversation_references SET updated_at = :at WHERE conversation_id = :c"),
                        {"at": NOW + timedelta(minutes=5), "c": patti_chat})
    again = await reach_command("reachability", await world.actor(DEMO.megan.email), services)
    assert again is not None and again.cards
    assert not any(DEMO.patti.display_name in t for t in card_texts(again.cards[0]))

    refused = await reach_command("reachability", await world.actor(DEMO.adele.email), services)
    assert refused is not None and refused.text == "Only administrators can see who Faraday cannot reach."
    async with demo_sessions() as s:
        audited = [tuple(r) for r in await s.execute(text(
            "SELECT actor_staff_id, allowed FROM audit_log WHERE action = 'staff.reachability' ORDER BY id"))]
    megan_id = (await world.actor(DEMO.megan.email)).staff_id
    assert audited == [(megan_id, True), (megan_id, True), ((await world.actor(DEMO.adele.email)).staff_id, False)]
    assert await reach_command("what is the concussion protocol?", await world.actor(DEMO.megan.email),
                               services) is None
