"""Pre-class safety briefs on real PostgreSQL (demo district + knowledge corpus) with the fake Bot Connector and a
fixed clock (Friday 20 Nov 2026, 09:40, ten minutes before period 3): what the brief shows, one brief for two
replicas, the teacher's off switch, never a group chat, the time window, and the commands."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.commands.briefs import briefs_command
from devtools.fakes.activities import TENANT
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.briefs import BriefSettings
from domain.briefs.content import choose_protocol
from domain.records.equipment import EquipmentCheckService, validate_check
from domain.seed.facts import DEMO
from tests.support.briefs import Briefs, drain
from tests.support.emergencies import card_texts

FLAG = "asthma: inhaler in PE office"


async def _prepare_alex_period_3(briefs: Briefs) -> dict[str, Any]:
    """A flagged student, a student with an open head injury, and the unit's equipment out of service."""
    cls = await briefs.period_3_class(DEMO.alex.email)
    roster = await briefs.rows(
        "SELECT s.id, s.student_number, COALESCE(s.preferred_name, s.first_name) || ' ' || s.last_name AS name"
        " FROM students s JOIN enrollments e ON e.student_id = s.id WHERE e.class_id = :c AND s.active"
        " ORDER BY s.id", c=cls["id"])
    flagged, injured = roster[0], roster[1]
    async with briefs.sessions() as s, s.begin():
        await s.execute(text("UPDATE students SET medical_flags = '[]'::jsonb WHERE id IN"
                             " (SELECT student_id FROM enrollments WHERE class_id = :c)"), {"c": cls["id"]})
        await s.execute(text("UPDATE students SET medical_flags = CAST(:f AS jsonb) WHERE id = :id"),
                        {"f": json.dumps([FLAG]), "id": flagged["id"]})
    briefs.clock.advance(hours=-1)  # the injury happened an hour before the brief
    await briefs.log_incident(severity="moderate", incident_type="head_injury", description="Hit heads in a drill.",
                              student_number=injured["student_number"])
    briefs.clock.advance(hours=1)
    item = (await briefs.rows("SELECT id, name FROM equipment WHERE school_id = :s AND units ? :u ORDER BY id LIMIT 1",
                              s=cls["school_id"], u=cls["current_unit"]))[0]
    alex = await briefs.actor(DEMO.alex.email)
    today = briefs.clock().date()
    draft = validate_check({"equipment_id": item["id"], "day": today.isoformat(),
                            "problems": [{"item": None, "result": "fail", "note": "cracked"}]}, today)
    await EquipmentCheckService(briefs.sessions).save(alex, draft, "brief-check-1", via="test")
    return {"class": cls, "flagged": flagged, "injured": injured, "item": item}


async def test_two_replicas_send_alex_one_brief_with_flags_restrictions_equipment_and_the_heat_protocol(
    briefs: Briefs, connector: RateLimitedConnector,
) -> None:
    chat = await briefs.remember(DEMO.alex.email)
    ready = await _prepare_alex_period_3(briefs)
    alex = await briefs.actor(DEMO.alex.email)
    await briefs.settings().enter_temperature(alex, 95, via="test")

    one, two = briefs.relay(), briefs.relay()
    await drain(one, two)

    cards = connector.cards(chat)
    assert len(cards) == 1
    texts = card_texts(cards[0])
    assert texts[0] == f"Before {ready['class']['name']} at 09:50".replace("—", "—")
    assert f"• {ready['flagged']['name']}: {FLAG}" in texts
    assert any(t.startswith(f"• {ready['injured']['name']}: no physical activity until cleared") for t in texts)
    assert any(t.startswith(f"• {ready['item']['name']}:") and "out of service" in t for t in texts)
    assert "Have ready: Heat Illness Prevention and WBGT Activity Modification" in texts
    assert ("Source: Heat Illness Prevention and WBGT Activity Modification, §Activity Modification by WBGT "
            "(version 2.0)") in texts
    assert any("82.0°F" in t for t in texts)  # the section's text itself, from the knowledge base
    assert "Temperature: 95°F" in texts

    rows = await briefs.rows("SELECT class_id, status FROM pre_class_briefs WHERE teacher_id = :t", t=alex.staff_id)
    assert rows == [{"class_id": ready["class"]["id"], "status": "sent"}]
    # every student the brief shows is audited (the seed's own open incidents in this class included), no one else
    audited = await briefs.rows(
        "SELECT a.subject_id, COALESCE(s.preferred_name, s.first_name) || ' ' || s.last_name AS name FROM audit_log a"
        " JOIN students s ON s.id = a.subject_id WHERE a.action = 'student.read' AND a.via = 'brief'"
        " AND a.actor_staff_id = :t", t=alex.staff_id)
    assert {ready["flagged"]["id"], ready["injured"]["id"]} <= {a["subject_id"] for a in audited}
    shown = [t for t in texts if t.startswith("• ")]
    assert {a["name"] for a in audited} == {a["name"] for a in audited if any(t.startswith(f"• {a['name']}:")
                                                                               for t in shown)}

    briefs.clock.advance(minutes=5)  # still before the class: ticking again sends nothing more
    await drain(one, two)
    assert len(connector.cards(chat)) == 1


async def test_without_heat_the_return_to_play_protocol_is_the_one_to_have_ready(
    briefs: Briefs, connector: RateLimitedConnector,
) -> None:
    chat = await briefs.remember(DEMO.alex.email)
    await _prepare_alex_period_3(briefs)
    await drain(briefs.relay(default_temperature_f=70))
    texts = card_texts(connector.cards(chat)[0])
    assert "Have ready: Graduated Return to Learn and Return to Play After Concussion" in texts
    assert any(t.startswith("Source: Graduated Return to Learn and Return to Play After Concussion, "
                            "§Return to Play Steps") for t in texts)
    assert "Temperature: 70°F" in texts  # the configured temperature, none entered


async def test_a_teacher_who_turned_briefs_off_gets_none_and_on_again_gets_them(
    briefs: Briefs, connector: RateLimitedConnector,
) -> None:
    chat = await briefs.remember(DEMO.alex.email)
    alex = await briefs.actor(DEMO.alex.email)
    settings = briefs.settings()
    assert await settings.set_enabled(alex, False, via="test")
    assert not await settings.set_enabled(alex, False, via="test")  # again: nothing more changes
    await drain(briefs.relay())
    assert connector.cards(chat) == []
    assert await briefs.rows("SELECT id FROM pre_class_briefs WHERE teacher_id = :t", t=alex.staff_id) == []
    others = await briefs.rows("SELECT id FROM pre_class_briefs")
    assert others, "other period-3 teachers still get theirs"
    assert len(await briefs.rows("SELECT id FROM audit_log WHERE action = 'brief.preference'")) == 1

    await settings.set_enabled(alex, True, via="test")
    await drain(briefs.relay())
    assert len(connector.cards(chat)) == 1


async def test_a_brief_never_goes_to_a_group_chat_it_opens_the_teachers_1_1_chat(
    briefs: Briefs, connector: RateLimitedConnector,
) -> None:
    alex = await briefs.actor(DEMO.alex.email)
    group = "19:pe-department-group@thread.v2"
    async with briefs.sessions() as s, s.begin():
        reference = {"user": {"id": f"29:{alex.aad_object_id}", "aadObjectId": alex.aad_object_id},
                     "bot": {"id": "28:bot"}, "channelId": "msteams", "serviceUrl": connector.url,
                     "conversation": {"id": group, "conversationType": "groupChat", "tenantId": TENANT}}
        await s.execute(text(
            "INSERT INTO conversation_references (staff_id, conversation_id, conversation_type, service_url, tenant_id,"
            " channel_id, bot_id, reference, alerts_enabled) VALUES (:sid, :cid, 'groupChat', :url, :tenant,"
            " 'msteams', '28:bot', CAST(:ref AS jsonb), true)"),
            {"sid": alex.staff_id, "cid": group, "url": connector.url, "tenant": TENANT, "ref": json.dumps(reference)})
    await drain(briefs.relay())
    assert connector.cards(group) == []
    created = [c for c in connector.created if c["members"][0]["id"] == alex.aad_object_id]
    assert len(created) == 1 and created[0]["isGroup"] is False
    assert len(connector.cards(f"a:created-{alex.aad_object_id}")) == 1
    stored = await briefs.rows("SELECT conversation_type FROM conversation_references WHERE staff_id = :s"
                               " AND conversation_id = :c", s=alex.staff_id, c=f"a:created-{alex.aad_object_id}")
    assert stored == [{"conversation_type": "personal"}]


async def test_briefs_are_enqueued_only_inside_the_window_before_the_class(briefs: Briefs) -> None:
    cls = await briefs.period_3_class(DEMO.alex.email)
    relay = briefs.relay()
    start = briefs.clock() + timedelta(minutes=10)  # 09:50
    for at in (start - timedelta(minutes=16), start, start + timedelta(minutes=20)):
        await relay.enqueue_due(at)
    assert await briefs.rows("SELECT id FROM pre_class_briefs WHERE class_id = :c", c=cls["id"]) == []
    await relay.enqueue_due(start - timedelta(minutes=15))
    await relay.enqueue_due(start - timedelta(seconds=1))
    rows = await briefs.rows("SELECT day, starts_at FROM pre_class_briefs WHERE class_id = :c", c=cls["id"])
    assert len(rows) == 1 and rows[0]["starts_at"] == start


async def test_a_brief_that_could_not_go_out_before_the_class_started_is_skipped(
    briefs: Briefs, connector: RateLimitedConnector,
) -> None:
    chat = await briefs.remember(DEMO.alex.email)
    relay = briefs.relay()
    await relay.enqueue_due(briefs.clock())
    briefs.clock.advance(minutes=11)  # 09:51: the class has started
    await relay.run_once()
    assert connector.cards(chat) == []
    alex = await briefs.actor(DEMO.alex.email)
    rows = await briefs.rows("SELECT status, last_error FROM pre_class_briefs WHERE teacher_id = :t", t=alex.staff_id)
    assert rows == [{"status": "skipped", "last_error": "the class had started before it could be sent"}]


def test_the_protocol_rule_orders_heat_restriction_flags_unit_then_aed() -> None:
    assert choose_protocol(95, 90, True, ["asthma"], "Swimming")[0] == "heat"
    assert choose_protocol(89, 90, True, ["asthma"], "Swimming")[0] == "return_to_play"
    assert choose_protocol(None, 90, False, ["asthma: inhaler", "peanut allergy: EpiPen"], None)[0] == "anaphylaxis"
    assert choose_protocol(None, 90, False, ["type 1 diabetes"], "Swimming")[0] == "diabetes"
    assert choose_protocol(None, 90, False, [], "Swimming")[0] == "aquatics"
    assert choose_protocol(None, 90, False, [], "Basketball")[0] == "cardiac"


@dataclass(frozen=True)
class BriefsOnly:
    briefs: BriefSettings | None


async def test_the_commands_turn_briefs_off_enter_the_temperature_and_refuse_admins(briefs: Briefs) -> None:
    services = BriefsOnly(briefs.settings())
    alex, megan = await briefs.actor(DEMO.alex.email), await briefs.actor(DEMO.megan.email)
    assert await briefs_command("what's the heat protocol?", alex, services) is None
    assert "**off** for you." in (await briefs_command("briefs off", alex, services) or "")
    assert "**off**" in (await briefs_command("briefs", alex, services) or "")
    assert "go to teachers and coaches" in (await briefs_command("briefs off", megan, services) or "")
    said = await briefs_command("temperature 35 C", megan, services) or ""
    assert "**95°F**" in said
    assert "Today's temperature: 95°F (entered)" in (await briefs_command("brief status", alex, services) or "")
    assert "between -40 and 130" in (await briefs_command("temperature 400", alex, services) or "")
    temps = await briefs.rows("SELECT temperature_f FROM school_temperatures")
    assert temps == [{"temperature_f": 95.0}]
    assert await briefs_command("briefs", alex, BriefsOnly(None)) == "Pre-class safety briefs aren't set up on this " \
        "Faraday yet."


@pytest.mark.parametrize("said", ["briefs on", "Briefs off.", "pre-class briefs", "safety brief status",
                                  "temperature 94", "temp 94F", "temperature is 31.5 c"])
async def test_the_command_forms_are_recognised(said: str, briefs: Briefs) -> None:
    services = BriefsOnly(briefs.settings())
    assert await briefs_command(said, await briefs.actor(DEMO.alex.email), services) is not None
