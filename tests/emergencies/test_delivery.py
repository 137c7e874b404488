"""The emergency card relay through the real CloudAdapter to a rate-limited fake connector: one card per teacher
in session and per admin, two relays on separate engines send no duplicate, answers update the admins' cards,
unanswered teachers are reminded and then the admins told (fake clock), the all clear updates every card."""

from __future__ import annotations

from typing import Any

from domain.db import make_engine, make_sessionmaker
from domain.seed.facts import DEMO
from tests.support.emergencies import ADMINS, NADIA, TEACHERS, School, card_actions, card_texts, settle

VIA = "test"


def _latest(school: School, conversation: str) -> dict[str, Any]:
    """What the conversation's emergency card shows now: the last update, else the card as sent."""
    updates = school.connector.updates(conversation)
    if updates:
        return updates[-1]["attachments"][0]["content"]
    return school.connector.cards(conversation)[-1]


async def _start(school: School) -> int:
    started = await school.service().start(await school.actor(DEMO.megan.email), "evacuation", drill=True,
                                           period="3", via=VIA)
    return started.emergency_id


async def test_two_relays_send_one_card_per_teacher_and_admin_and_nothing_twice(subscribed: School,
                                                                                demo_db_url: str) -> None:
    school = subscribed
    await _start(school)
    engines = [make_engine(demo_db_url, pool_size=4) for _ in range(2)]
    try:
        relays = [school.relay(make_sessionmaker(e), batch=2) for e in engines]
        await settle(school, *relays)
        claimed = [r.claimed for r in relays]
    finally:
        for e in engines:
            await e.dispose()
    assert all(c > 0 for c in claimed), f"both relays did work: {claimed}"
    for email in TEACHERS + ADMINS:
        cards = school.connector.cards(school.conversation(await school.actor(email)))
        assert len(cards) == 1, email
    teacher_card = school.connector.cards(school.conversation(await school.actor(DEMO.alex.email)))[0]
    assert teacher_card["refresh"]["userIds"] == [f"29:{DEMO.alex.aad_object_id}"]
    assert any(a["title"] == "All here" for a in card_actions(teacher_card))
    admin_card = school.connector.cards(school.conversation(await school.actor(DEMO.megan.email)))[0]
    assert "Classes accounted for: 0 of 3" in card_texts(admin_card)
    assert {r["status"] for r in await school.deliveries()} == {"sent"}


async def test_answers_update_the_admin_cards_and_unanswered_teachers_are_reminded_then_escalated(
    subscribed: School,
) -> None:
    school = subscribed
    emergency_id = await _start(school)
    relay = school.relay()
    await settle(school, relay)
    service = school.service()
    alex, isaiah = await school.actor(DEMO.alex.email), await school.actor(DEMO.isaiah.email)
    await service.account(alex, emergency_id, school.classes[DEMO.alex.email], via=VIA)  # type: ignore[index]
    await settle(school, relay)
    megan_chat = school.conversation(await school.actor(DEMO.megan.email))
    assert "Classes accounted for: 1 of 3" in card_texts(_latest(school, megan_chat))

    school.clock.advance(minutes=3)  # the reminder: Isaiah and Nadia, not Alex
    await settle(school, relay)
    reminded = sorted(r["email"] for r in await school.deliveries() if r["kind"] == "reminder")
    assert reminded == sorted([DEMO.isaiah.email, NADIA])
    nadia_chat = school.conversation(await school.actor(NADIA))
    assert len(school.connector.cards(nadia_chat)) == 2
    assert any("Reminder" in t for t in card_texts(school.connector.cards(nadia_chat)[1]))
    assert len(school.connector.cards(school.conversation(alex))) == 1

    await service.account(isaiah, emergency_id, school.classes[DEMO.isaiah.email], via=VIA)  # type: ignore[index]
    school.clock.advance(minutes=3)  # Nadia still hasn't answered: both admins are told
    await settle(school, relay)
    escalated = sorted(r["email"] for r in await school.deliveries() if r["kind"] == "escalation")
    assert escalated == sorted(ADMINS)
    for email in ADMINS:
        card = school.connector.cards(school.conversation(await school.actor(email)))[-1]
        texts = card_texts(card)
        assert any(t.startswith("Escalated: 1 class") for t in texts)
        assert any("Nadia Okafor" in t and "6 students" in t for t in texts)
    school.clock.advance(minutes=30)
    await settle(school, relay)
    assert len(await school.deliveries()) == 5 + 2 + 2, "nothing is escalated twice"


async def test_all_clear_updates_every_card_and_cancels_pings_not_yet_sent(subscribed: School) -> None:
    school = subscribed
    await _start(school)
    relay = school.relay()
    await settle(school, relay)
    megan = await school.actor(DEMO.megan.email)
    school.clock.advance(minutes=3)
    from domain.emergencies.escalation import escalate_due

    await escalate_due(school.sessions, school.clock(), school.service().escalate_after)  # reminders queued
    await school.service().all_clear(megan, via=VIA)
    await settle(school, relay)
    rows = await school.deliveries()
    assert {r["status"] for r in rows if r["kind"] == "reminder"} == {"cancelled"}
    for email in TEACHERS + ADMINS:
        latest = _latest(school, school.conversation(await school.actor(email)))
        assert any(t.startswith("All clear given by Megan Bowen") for t in card_texts(latest)), email
        assert not card_actions(latest), "a closed emergency's card has no buttons"
