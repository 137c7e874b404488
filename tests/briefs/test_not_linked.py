"""A recipient Teams does not know yet (no AAD object id: never messaged Faraday, app not installed for them): the
relays that can only reach a linked staff member — pre-class briefs, nurse requests, SharePoint sync notices —
fail the delivery at once, permanently, with the one ``NotLinked`` wording (``domain/outbox/recipients.py``), and
neither open a chat nor send a card. Real PostgreSQL (demo district + corpus), the real senders over botbuilder's
CloudAdapter, the fake connector."""

from __future__ import annotations

import json

from sqlalchemy import text

from bot.channel.nurse_sender import NurseCardSender
from bot.channel.proactive import BotSender
from bot.channel.sharepoint_notice_sender import SyncNoticeCardSender
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.alerts.ratelimit import RateLimiter
from domain.nurse import NurseRelay, NurseRequests
from domain.outbox import NOT_LINKED
from domain.seed.facts import DEMO
from knowledge.sharepoint_jobs import SyncNoticeRelay
from tests.support.alerts import FAST, adapter
from tests.support.briefs import Briefs

FAILED_ONCE = {"status": "failed", "attempts": 1, "last_error": NOT_LINKED}


async def _unlink(briefs: Briefs, email: str) -> None:
    async with briefs.sessions() as s, s.begin():
        await s.execute(text("UPDATE staff SET aad_object_id = NULL WHERE email = :e"), {"e": email})


def _sender() -> BotSender:
    return BotSender(adapter(), "", RateLimiter())


async def test_a_brief_to_a_teacher_not_linked_fails_at_once_and_sends_nothing(
    briefs: Briefs, connector: RateLimitedConnector,
) -> None:
    alex = await briefs.actor(DEMO.alex.email)
    await _unlink(briefs, DEMO.alex.email)
    relay = briefs.relay()
    await relay.enqueue_due(briefs.clock())
    assert await relay.run_once() >= 1
    rows = await briefs.rows("SELECT status, attempts, last_error FROM pre_class_briefs WHERE teacher_id = :t",
                             t=alex.staff_id)
    assert rows and all(r == FAILED_ONCE for r in rows)
    assert await relay.run_once() == 0  # permanent: not claimed again
    assert connector.created == [] and connector.cards() == []


async def test_a_nurse_request_to_a_nurse_not_linked_fails_at_once_and_sends_nothing(
    briefs: Briefs, connector: RateLimitedConnector,
) -> None:
    alex = await briefs.actor(DEMO.alex.email)
    await _unlink(briefs, DEMO.adele.email)
    await NurseRequests(briefs.sessions, clock=briefs.clock).request(alex, "Gym 2: a student is dizzy", "key-unlinked-1",
                                                                     via="test")
    relay = NurseRelay(briefs.sessions, NurseCardSender(_sender()), config=FAST, clock=briefs.clock)
    assert await relay.tick() == 1
    assert await briefs.rows("SELECT status, attempts, last_error FROM nurse_deliveries") == [FAILED_ONCE]
    assert await relay.tick() == 0
    assert connector.created == [] and connector.cards() == []


async def test_a_sharepoint_notice_to_an_admin_not_linked_fails_at_once_and_sends_nothing(
    briefs: Briefs, connector: RateLimitedConnector,
) -> None:
    megan = await briefs.actor(DEMO.megan.email)
    await _unlink(briefs, DEMO.megan.email)
    async with briefs.sessions() as s, s.begin():
        job = await s.scalar(text(
            "INSERT INTO knowledge_sharepoint_jobs (requested_by, folder_label, status, result, finished_at)"
            " VALUES (:by, 'contoso.sharepoint.com/sites/PE', 'done', CAST(:result AS jsonb), :now) RETURNING id"),
            {"by": megan.staff_id, "result": json.dumps({"problem": None, "reports": []}), "now": briefs.clock()})
        await s.execute(text("INSERT INTO knowledge_sync_notices (job_id, staff_id, status, attempts, next_attempt_at)"
                             " VALUES (:job, :staff, 'pending', 0, :now)"),
                        {"job": job, "staff": megan.staff_id, "now": briefs.clock()})
    relay = SyncNoticeRelay(briefs.sessions, SyncNoticeCardSender(_sender()), config=FAST, clock=briefs.clock)
    assert await relay.tick() == 1
    assert await briefs.rows("SELECT status, attempts, last_error FROM knowledge_sync_notices") == [FAILED_ONCE]
    assert await relay.tick() == 0
    assert connector.created == [] and connector.cards() == []
    assert await briefs.rows("SELECT id FROM audit_log WHERE action = 'knowledge.sharepoint.sync.notify'") == []
