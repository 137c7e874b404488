"""Equipment notices: a failed check tells the other teachers whose classes use that equipment, privately (a card in
their own 1:1 chat), once per failure, audited; the teacher who reported it is not told. Service + relay through
the real botbuilder CloudAdapter to the fake Bot Connector, and the whole flow through the running app."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channel.equipment_notice_sender import EquipmentNoticeSender
from bot.channel.proactive import BotSender
from devtools.fakes.activities import ALEX, BOT_ID, ISAIAH, activity, reference
from devtools.fakes.connector import FakeConnector
from domain.actor import Actor
from domain.alerts.ratelimit import RateLimiter
from domain.identity import IdentityService
from domain.models import AuditLog, Equipment, EquipmentNotice
from domain.records.equipment import EquipmentCheckService, validate_check
from domain.records.notices import EquipmentNoticeRelay
from domain.seed.facts import DEMO
from tests.support.alerts import FAST, adapter
from tests.support.app_client import BotClient
from tests.support.card_flow import card_action, card_inputs, execute
from tests.support.district import NOW, District_
from tests.support.emergencies import card_texts

TODAY = NOW.date()


async def _item(d: District_, name: str, units: list[str]) -> int:
    async with d.sessions() as s, s.begin():
        return (await s.execute(insert(Equipment).values(
            school_id=d.school_a, name=name, category="climbing", quantity=10, min_quantity=8, condition="good",
            inspection_interval_days=90, units=units, item_count=10,
        ).returning(Equipment.id))).scalar_one()


async def _remember(sessions: async_sessionmaker[AsyncSession], url: str, actor: Actor) -> str:
    """A stored 1:1 conversation reference for ``actor`` pointing at the fake connector."""
    cid = f"a:personal-{actor.aad_object_id}"
    async with sessions() as s, s.begin():
        await s.execute(text(
            "INSERT INTO conversation_references (staff_id, conversation_id, conversation_type, service_url, tenant_id,"
            " channel_id, bot_id, reference, alerts_enabled) VALUES (:sid, :cid, 'personal', :url, :tenant, 'msteams',"
            " :bot, CAST(:ref AS jsonb), true)"),
            {"sid": actor.staff_id, "cid": cid, "url": url, "tenant": actor.tenant_id, "bot": f"28:{BOT_ID}",
             "ref": json.dumps(reference(url, cid, actor.aad_object_id))})
    return cid


def _check(item: int, problems: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    return validate_check({"equipment_id": item, "day": TODAY.isoformat(), "problems": problems}, TODAY)


async def _notices(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, list[str], str]]:
    async with sessions() as s:
        rows = await s.execute(select(EquipmentNotice.recipient_id, EquipmentNotice.pieces, EquipmentNotice.status)
                               .order_by(EquipmentNotice.id))
        return [(r[0], list(r[1]), r[2]) for r in rows]


async def _deliver(relay: EquipmentNoticeRelay, sessions: async_sessionmaker[AsyncSession]) -> None:
    for _ in range(50):
        if not await relay.run_once() and all(n[2] == "sent" for n in await _notices(sessions)):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(await _notices(sessions))


async def test_a_failed_piece_tells_the_other_teacher_who_uses_it_once_per_failure(
    district: District_, connector: FakeConnector,
) -> None:
    harnesses = await _item(district, "Climbing harnesses", ["Basketball"])  # Tess's period 3 is in Basketball
    tess_chat = await _remember(district.sessions, connector.url, district.tess)
    theo_chat = await _remember(district.sessions, connector.url, district.theo)
    service = EquipmentCheckService(district.sessions)
    relay = EquipmentNoticeRelay(district.sessions, EquipmentNoticeSender(BotSender(adapter(), "", RateLimiter())),
                                 config=FAST)

    saved = await service.save(district.theo, _check(harnesses, [{"item": "4", "result": "fail", "note": "frayed"}]),
                               "k1", via="test")
    assert saved.notified == 1
    assert await _notices(district.sessions) == [(district.tess.staff_id, ["#4"], "pending")]
    await _deliver(relay, district.sessions)
    [sent] = connector.messages(tess_chat)
    texts = card_texts(sent["attachments"][0]["content"])
    assert "Out of service: Climbing harnesses" in texts
    assert "Failed: #4 (frayed)" in texts and "Checked: " + f"{TODAY:%a %b} {TODAY.day} by Theo" in texts
    assert "Your classes using it: PE 7 — Period 3 (Basketball)" in texts
    assert sent["summary"] == "Out of service: Climbing harnesses (#4 (frayed))"
    assert connector.messages(theo_chat) == [], "the reporting teacher is not told about their own check"

    # The same card pressed again, and a later check still finding #4 failed: nobody is told again.
    again = await service.save(district.theo, _check(harnesses, []), "k1", via="test")
    assert not again.created and again.notified == 0
    still = await service.save(district.theo, _check(harnesses, [{"item": "4", "result": "fail"}]), "k2", via="test")
    assert still.notified == 0
    # A new failed piece is news; the one already announced is not repeated.
    more = await service.save(district.theo, _check(harnesses, [{"item": "4", "result": "fail"},
                                                              {"item": "5", "result": "fail", "note": "buckle"}]),
                              "k3", via="test")
    assert more.notified == 1
    await _deliver(relay, district.sessions)
    assert card_texts(connector.messages(tess_chat)[-1]["attachments"][0]["content"]).count("Failed: #5 (buckle)") == 1
    # Tess's own check of the same item tells nobody (Theo's classes don't use it).
    assert (await service.save(district.tess, _check(harnesses, [{"item": "6", "result": "fail"}]), "k4",
                               via="test")).notified == 0
    # Repaired (a whole pass), then #4 fails again: a new failure, announced again.
    await service.save(district.theo, _check(harnesses, []), "k5", via="test")
    assert (await service.save(district.theo, _check(harnesses, [{"item": "4", "result": "fail"}]), "k6",
                               via="test")).notified == 1
    await _deliver(relay, district.sessions)
    assert [n[1] for n in await _notices(district.sessions)] == [["#4"], ["#5"], ["#4"]]
    assert len(connector.messages(tess_chat)) == 3 and connector.messages(theo_chat) == []
    async with district.sessions() as s:
        audited = (await s.execute(select(AuditLog.actor_staff_id, AuditLog.subject_type, AuditLog.subject_id,
                                          AuditLog.allowed).where(AuditLog.action == "equipment.notice"))).all()
    assert audited == [(district.theo.staff_id, "staff", district.tess.staff_id, True)] * 3


async def test_general_gear_tells_every_other_teacher_of_the_school_and_no_one_elsewhere(district: District_) -> None:
    cones = await _item(district, "Cones", [])  # no units: any lesson may use it
    saved = await EquipmentCheckService(district.sessions).save(
        district.tess, _check(cones, [{"item": None, "result": "fail", "note": "crushed"}]), "k1", via="test")
    assert saved.notified == 1
    assert await _notices(district.sessions) == [(district.theo.staff_id, ["Cones"], "pending")]  # not Tara (B)


async def test_a_check_that_passes_or_only_needs_repair_tells_nobody(district: District_) -> None:
    harnesses = await _item(district, "Climbing harnesses", ["Basketball"])
    service = EquipmentCheckService(district.sessions)
    await service.save(district.theo, _check(harnesses, []), "k1", via="test")
    await service.save(district.theo, _check(harnesses, [{"item": "2", "result": "repair", "note": "loose"}]), "k2",
                       via="test")
    async with district.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(EquipmentNotice)) == 0
        assert await s.scalar(select(func.count()).where(AuditLog.action == "equipment.notice")) == 0


async def test_a_flat_basketball_reported_in_teams_reaches_the_other_teacher_privately(
    bot: BotClient, connector: FakeConnector, demo_sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Alex (Ridgeview) fails basketball #3 from chat; Nadia's adapted PE class is in Adapted Basketball: she gets the
    notice card in her own 1:1 chat from the app's relay; Isaiah (Volleyball) and Alex himself get none."""
    identity = IdentityService(demo_sessions)
    nadia = await identity.by_email("nadia.okafor@example.com")
    isaiah = await identity.by_email(DEMO.isaiah.email)
    assert nadia is not None and isaiah is not None and isaiah.aad_object_id == ISAIAH
    nadia_chat = await _remember(demo_sessions, connector.url, nadia)
    isaiah_chat = await _remember(demo_sessions, connector.url, isaiah)

    await bot.post(activity(connector.url, text="checked the basketballs, #3 is flat"))
    card = connector.messages()[-1]["attachments"][0]["content"]
    values = card_inputs(card)
    assert values["p0_item"] == "#3" and values["p0_result"] == "fail"
    press = execute(connector, card_action(card, "Save"), values)
    status, body = await bot.post(press)
    assert status == 200
    assert "Faraday is telling the 1 other teacher whose classes use it, privately." in json.dumps(body)
    await connector.wait_for(lambda _: bool(connector.messages(nadia_chat)))
    [notice] = connector.messages(nadia_chat)
    texts = card_texts(notice["attachments"][0]["content"])
    assert "Out of service: Basketballs" in texts and any(t.startswith("Failed: #3 (") and "flat" in t for t in texts)
    assert any(t.startswith("Your classes using it: ") and "Adapted Basketball" in t for t in texts)

    status, body = await bot.post({**press, "id": "resent"})  # Teams re-sends the press
    assert "already saved" in json.dumps(body)
    await asyncio.sleep(1.5)  # the app's relay polls every second: give a duplicate the chance to show
    assert len(connector.messages(nadia_chat)) == 1 and connector.messages(isaiah_chat) == []
    alex_cards = [card_texts(m["attachments"][0]["content"]) for m in connector.messages(f"a:personal-{ALEX}")
                  if m.get("attachments")]
    assert alex_cards and not any("Out of service: Basketballs" in t for t in alex_cards), "not the reporter"
    async with demo_sessions() as s:
        rows = (await s.execute(select(EquipmentNotice.recipient_id, EquipmentNotice.status))).all()
        audited = await s.scalar(select(func.count()).where(AuditLog.action == "equipment.notice",
                                                            AuditLog.subject_id == nadia.staff_id))
    assert rows == [(nadia.staff_id, "sent")] and audited == 1
