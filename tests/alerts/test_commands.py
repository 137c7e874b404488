"""The ``alerts on|off|status|today`` commands for admins and nurses."""

from __future__ import annotations

from types import SimpleNamespace

from bot.commands.alerts import NOT_FOR_YOU, alert_command
from domain.seed.facts import DEMO
from tests.support.alerts import World, make_relay, settle


async def test_commands_are_recognised_and_other_text_is_left_to_the_agent(subscribed: World) -> None:
    services = SimpleNamespace(alerts=subscribed.alerts())
    megan = await subscribed.actor(DEMO.megan.email)
    assert await alert_command("show me Jamie", megan, services) is None
    assert await alert_command("alerts for the gym?", megan, services) is None
    assert "**on**" in (await alert_command("Alerts  status", megan, services) or "")


async def test_a_teacher_is_told_alerts_are_for_admins(subscribed: World) -> None:
    alex = await subscribed.actor(DEMO.alex.email)
    assert await alert_command("alerts on", alex, SimpleNamespace(alerts=subscribed.alerts())) == NOT_FOR_YOU


async def test_alerts_off_stops_deliveries_to_that_admin_and_on_resumes_them(subscribed: World) -> None:
    world = subscribed
    services = SimpleNamespace(alerts=world.alerts())
    lynne = await world.actor(DEMO.lynne.email)
    assert "**off**" in (await alert_command("alerts off", lynne, services) or "")
    assert "**off**" in (await alert_command("alerts status", lynne, services) or "")
    await world.log_incident()
    await settle(world, make_relay(world.sessions))
    assert world.connector.cards(f"a:personal-{lynne.aad_object_id}") == []
    assert len(world.connector.cards()) == len(await world.recipients()) - 1
    assert "**on**" in (await alert_command("alerts on", lynne, services) or "")
    await world.log_incident()
    await settle(world, make_relay(world.sessions))
    assert len(world.connector.cards(f"a:personal-{lynne.aad_object_id}")) == 1


async def test_alerts_today_lists_open_escalated_and_acknowledged_alerts_and_who_was_unreachable(
    subscribed: World,
) -> None:
    world = subscribed
    services = SimpleNamespace(alerts=world.alerts())
    megan, adele = await world.actor(DEMO.megan.email), await world.actor(DEMO.adele.email)
    assert "No safety alerts today" in (await alert_command("alerts today", megan, services) or "")
    world.connector.block(f"a:personal-{adele.aad_object_id}", 403, "BotDisabledByAdmin")
    await world.log_incident(severity="critical")
    await world.log_incident(severity="serious")
    await settle(world, make_relay(world.sessions))
    from sqlalchemy import text

    async with world.sessions() as s:
        first = (await s.execute(text("SELECT min(id) FROM alerts"))).scalar_one()
    await world.alerts().acknowledge(megan, first, via="test")
    digest = await alert_command("alerts today", megan, services) or ""
    assert "2 — 1 open, 0 escalated, 1 acknowledged" in digest
    assert "acknowledged by Megan Bowen" in digest and "couldn't reach Adele Vance" in digest
    status = await alert_command("alerts status", megan, services) or ""
    assert "Adele Vance" in status and "blocked" in status
