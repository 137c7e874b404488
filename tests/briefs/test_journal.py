"""The brief relay's send journal (Redis, the shared outbox's) on real PostgreSQL and Valkey: a relay that crashes
after Teams accepted a brief and before marking it sent is restarted, and the teacher gets the brief once. Without
the journal (Redis down) the same crash sends the brief again: the window the journal closes."""

from __future__ import annotations

import dataclasses

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.briefs import BriefRelay
from domain.outbox import SendJournal
from domain.seed.facts import DEMO
from tests.support.alerts import FAST
from tests.support.briefs import Briefs, drain
from tests.support.crash import Crash, crash_at

SKIP_OTHERS = text("UPDATE pre_class_briefs SET status = 'skipped' WHERE teacher_id <> :t")


def _journal(redis: Redis | None) -> SendJournal | None:
    return SendJournal(redis, BriefRelay.journal_key) if redis is not None else None


async def _crash_then_restart(briefs: Briefs, connector: RateLimitedConnector,
                              redis_url: str | None) -> tuple[str, str, int]:
    """Alex's period-3 brief is sent by a relay that dies before marking it; after the lease (still before the
    class) a new relay (new process: new Redis connection) takes the row over. Returns Alex's chat, the activity
    Teams accepted first and the brief's id."""
    chat = await briefs.remember(DEMO.alex.email)
    alex = await briefs.actor(DEMO.alex.email)
    first = Redis.from_url(redis_url) if redis_url else None
    try:
        relay = briefs.relay(relay=dataclasses.replace(FAST, batch=1), journal=_journal(first),
                             fault=crash_at("after_send"))
        await relay.enqueue_due(briefs.clock())
        [row] = await briefs.rows("SELECT id FROM pre_class_briefs WHERE teacher_id = :t", t=alex.staff_id)
        async with briefs.sessions() as s, s.begin():  # the other teachers' briefs are not this test's business
            await s.execute(SKIP_OTHERS, {"t": alex.staff_id})
        with pytest.raises(Crash):
            await relay.run_once()
    finally:
        if first is not None:
            await first.aclose()
    [accepted] = connector.messages(chat)
    assert await briefs.rows("SELECT status, attempts FROM pre_class_briefs WHERE id = :b", b=row["id"]) == [
        {"status": "sending", "attempts": 1}], "Teams has the brief; the row is still leased"

    briefs.clock.advance(seconds=FAST.lease.total_seconds() + 1)  # 09:40:31: the lease expired, the class not begun
    second = Redis.from_url(redis_url) if redis_url else None
    try:
        await drain(briefs.relay(journal=_journal(second)))
    finally:
        if second is not None:
            await second.aclose()
    return chat, accepted["_id"], row["id"]


async def test_a_relay_killed_between_teams_accepting_a_brief_and_marking_it_does_not_send_it_twice(
    briefs: Briefs, connector: RateLimitedConnector, redis_url: str,
) -> None:
    chat, accepted, brief_id = await _crash_then_restart(briefs, connector, redis_url)
    assert len(connector.cards(chat)) == 1, "the restarted relay found the journal entry and sent nothing"
    assert await briefs.rows("SELECT status, attempts, sent_activity_id, sent_at IS NOT NULL AS dated"
                             " FROM pre_class_briefs WHERE id = :b", b=brief_id) == [
        {"status": "sent", "attempts": 2, "sent_activity_id": accepted, "dated": True}]


async def test_without_the_journal_the_same_crash_sends_the_brief_again(
    briefs: Briefs, connector: RateLimitedConnector,
) -> None:
    chat, accepted, brief_id = await _crash_then_restart(briefs, connector, None)
    assert len(connector.cards(chat)) == 2
    [row] = await briefs.rows("SELECT status, sent_activity_id FROM pre_class_briefs WHERE id = :b", b=brief_id)
    assert row["status"] == "sent" and row["sent_activity_id"] != accepted
