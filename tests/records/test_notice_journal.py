"""The equipment-notice relay's send journal (Redis, the shared outbox's) on real PostgreSQL and Valkey: a relay that
crashes after Teams accepted a notice and before marking it sent is restarted, and the teacher is not told twice.
Without the journal (Redis down) the same crash sends the notice again: the window the journal closes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from bot.channel.equipment_notice_sender import EquipmentNoticeSender
from bot.channel.proactive import BotSender
from devtools.fakes.connector import FakeConnector
from domain.alerts.ratelimit import RateLimiter
from domain.models import EquipmentNotice
from domain.outbox import Fault, SendJournal
from domain.records.equipment import EquipmentCheckService
from domain.records.notices import EquipmentNoticeRelay
from tests.records.test_equipment_notices import _check, _item, _remember
from tests.support.alerts import FAST, FakeClock, adapter
from tests.support.crash import Crash, crash_at
from tests.support.district import District_


def _relay(d: District_, clock: FakeClock, redis: Redis | None, fault: Fault | None = None) -> EquipmentNoticeRelay:
    return EquipmentNoticeRelay(d.sessions, EquipmentNoticeSender(BotSender(adapter(), "", RateLimiter())),
                                config=FAST, clock=clock, fault=fault,
                                journal=SendJournal(redis, EquipmentNoticeRelay.journal_key) if redis is not None else None)


async def _rows(d: District_) -> list[tuple[str, str | None, int]]:
    async with d.sessions() as s:
        rows = await s.execute(select(EquipmentNotice.status, EquipmentNotice.sent_activity_id,
                                      EquipmentNotice.attempts).order_by(EquipmentNotice.id))
        return [(r[0], r[1], r[2]) for r in rows]


async def _crash_then_restart(d: District_, connector: FakeConnector, redis_url: str | None) -> tuple[str, str]:
    """Theo fails harness #4; a relay sends Tess's notice and dies before marking it; after the lease a new relay
    (new process: new Redis connection) takes the row over. Returns Tess's chat and the first notice's activity."""
    harnesses = await _item(d, "Climbing harnesses", ["Basketball"])
    chat = await _remember(d.sessions, connector.url, d.tess)
    saved = await EquipmentCheckService(d.sessions).save(
        d.theo, _check(harnesses, [{"item": "4", "result": "fail", "note": "frayed"}]), "journal-1", via="test")
    assert saved.notified == 1
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=1))

    first = Redis.from_url(redis_url) if redis_url else None
    try:
        with pytest.raises(Crash):
            await _relay(d, clock, first, crash_at("after_send")).run_once()
    finally:
        if first is not None:
            await first.aclose()
    [accepted] = connector.messages(chat)
    assert await _rows(d) == [("sending", None, 1)], "Teams has the notice; the row is still leased"

    clock.advance(seconds=FAST.lease.total_seconds() + 1)  # the dead relay's lease expires
    second = Redis.from_url(redis_url) if redis_url else None
    try:
        restarted = _relay(d, clock, second)
        for _ in range(20):
            if not await restarted.run_once():
                break
    finally:
        if second is not None:
            await second.aclose()
    return chat, accepted["_id"]


async def test_a_relay_killed_between_teams_accepting_a_notice_and_marking_it_does_not_tell_the_teacher_twice(
    district: District_, connector: FakeConnector, redis_url: str,
) -> None:
    chat, accepted = await _crash_then_restart(district, connector, redis_url)
    assert len(connector.messages(chat)) == 1, "the restarted relay found the journal entry and sent nothing"
    assert await _rows(district) == [("sent", accepted, 2)], "recorded as the activity Teams accepted"


async def test_without_the_journal_the_same_crash_sends_the_notice_again(
    district: District_, connector: FakeConnector,
) -> None:
    chat, accepted = await _crash_then_restart(district, connector, None)
    assert len(connector.messages(chat)) == 2
    [(status, activity, attempts)] = await _rows(district)
    assert status == "sent" and activity != accepted and attempts == 2
