"""The privacy rules for messages home, each with a refusal (real PostgreSQL, the demo district; Outlook through the
fake Graph over TLS where it matters what was sent):

- only guardians with contact permission (checked again at Send);
- only records the sender may read: a student outside the sender's classes is refused, at drafting and at Send;
  another teacher cannot send the sender's draft;
- health details only to that student's own guardians and only when the teacher ticks them; never in a class notice;
- nothing in bulk without the count shown and that count confirmed;
- every draft and send audited: who, what, to whom; refusals too; no address or body in the audit or the logs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, select

from devtools.fakes.graph import FakeMicrosoft
from domain.actor import Actor
from domain.errors import InvalidInput, NotAllowed
from domain.messages_home.delivery import GraphMail
from domain.messages_home.service import MessageHomeService, MessageRequest
from domain.models import Enrollment, HomeMessage
from tests.support.calendar import graph_config
from tests.support.messages_home import (
    NOW,
    audit_rows,
    count,
    guardians,
    outsider,
    recipients,
    record_incident,
    service,
    set_guardian,
    set_guardians,
    student_id,
    two_guardians,
)

ELI = "S109005"
PERIOD_3 = MessageRequest("class_notice", class_text="period 3", topic="reminder about kit")


@pytest.fixture
async def eli(demo_sessions: Any, alex: Actor) -> int:
    eli = await student_id(demo_sessions, ELI)
    await two_guardians(demo_sessions, eli)
    await record_incident(demo_sessions, alex, eli)
    return eli


@pytest.fixture
async def outlook(demo_sessions: Any, microsoft: FakeMicrosoft) -> AsyncIterator[MessageHomeService]:
    messages = service(demo_sessions, graph=GraphMail(graph_config(microsoft)), mode="send")
    yield messages
    await messages.close()


def _addresses(microsoft: FakeMicrosoft) -> list[str]:
    return sorted(m["toRecipients"][0]["emailAddress"]["address"] for m in microsoft.sent_mail)


# --- contact permission --------------------------------------------------------------------------------------------
async def test_a_guardian_without_contact_permission_is_left_out_and_only_counted(
        demo_sessions, alex, eli, outlook, microsoft) -> None:
    uno, _two = await guardians(demo_sessions, eli)
    await set_guardian(demo_sessions, uno.id, contact_allowed=False)
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert draft.recipients == 1 and draft.no_permission == 1 and draft.languages == {"en": 1}
    assert [t.language for t in draft.texts] == ["en"]  # no Spanish text for a guardian who won't get it
    await outlook.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert _addresses(microsoft) == ["guardian.two@example.test"]


async def test_permission_withdrawn_after_the_draft_is_honoured_at_send(
        demo_sessions, alex, eli, outlook, microsoft) -> None:
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert draft.recipients == 2
    uno, _two = await guardians(demo_sessions, eli)
    await set_guardian(demo_sessions, uno.id, contact_allowed=False)
    outcome = await outlook.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert outcome.recipients == 1 and _addresses(microsoft) == ["guardian.two@example.test"]
    assert [r.guardian_id for r in await recipients(demo_sessions)] == [_two.id]


async def test_no_guardian_with_permission_means_no_draft_at_all(demo_sessions, alex, eli) -> None:
    await set_guardians(demo_sessions, eli, contact_allowed=False)
    with pytest.raises(InvalidInput, match=r"no guardian I can write to for Eli Navarro \(2 may not be contacted\)"):
        await service(demo_sessions).draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert await count(demo_sessions, HomeMessage) == 0


# --- only records the sender may read ------------------------------------------------------------------------------
async def test_a_student_outside_the_senders_classes_is_refused_and_the_refusal_audited(demo_sessions, alex) -> None:
    other = await outsider(demo_sessions, alex)
    await record_incident(demo_sessions, alex, other)
    for kind in ("incident", "attendance", "fitness"):
        with pytest.raises(NotAllowed, match="only write home about students in your classes"):
            await service(demo_sessions).draft(alex, MessageRequest(kind, other), NOW, via="test")
    assert await count(demo_sessions, HomeMessage) == 0
    refusals = await audit_rows(demo_sessions, "message_home.draft")
    assert [(r.allowed, r.subject_id, r.actor_staff_id) for r in refusals] == [(False, other, alex.staff_id)] * 3


async def test_a_student_who_left_the_class_after_the_draft_is_refused_at_send(
        demo_sessions, alex, eli, outlook, microsoft) -> None:
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    async with demo_sessions() as session:
        await session.execute(delete(Enrollment).where(Enrollment.student_id == eli))
        await session.commit()
    with pytest.raises(NotAllowed):
        await outlook.send(alex, draft.key, include_health=True, confirmed=None, via="test")
    assert microsoft.graph_requests() == [] and await recipients(demo_sessions) == []


async def test_another_teacher_cannot_send_the_senders_draft(
        demo_sessions, alex, isaiah, eli, outlook, microsoft) -> None:
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    with pytest.raises(NotAllowed, match="only they can send it"):
        await outlook.send(isaiah, draft.key, include_health=True, confirmed=None, via="test")
    assert microsoft.graph_requests() == []
    async with demo_sessions() as session:
        assert await session.scalar(select(HomeMessage.status).where(HomeMessage.key == draft.key)) == "draft"
    refused = [r for r in await audit_rows(demo_sessions, "message_home.send") if not r.allowed]
    assert [(r.actor_staff_id, r.subject_type) for r in refused] == [(isaiah.staff_id, "home_message")]


async def test_another_teacher_cannot_discard_the_senders_draft(demo_sessions, alex, isaiah, eli) -> None:
    messages = service(demo_sessions)
    draft = await messages.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert await messages.cancel(isaiah, draft.key) is False
    assert await messages.cancel(alex, draft.key) is True


# --- health details ------------------------------------------------------------------------------------------------
async def test_health_details_are_sent_only_when_ticked(demo_sessions, alex, eli, outlook, microsoft) -> None:
    plain = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    await outlook.send(alex, plain.key, include_health=False, confirmed=None, via="test")
    assert all("wrist" not in m["body"]["content"] for m in microsoft.sent_mail)
    ticked = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    await outlook.send(alex, ticked.key, include_health=True, confirmed=None, via="test")
    assert [("wrist" in m["body"]["content"]) for m in microsoft.sent_mail] == [False, False, True, True]
    rows = await audit_rows(demo_sessions, "message_home.send")
    health = [r for r in rows if r.subject_type == "student" and r.reason.endswith("; health details")]
    assert [r.subject_id for r in health] == [eli]  # the ticked send says so in the audit


async def test_health_details_go_only_to_that_students_own_guardians(
        demo_sessions, alex, eli, outlook, microsoft) -> None:
    own = {g.id for g in await guardians(demo_sessions, eli)}
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    await outlook.send(alex, draft.key, include_health=True, confirmed=None, via="test")
    sent = await recipients(demo_sessions)
    assert {r.guardian_id for r in sent} == own and {r.student_id for r in sent} == {eli}


async def test_a_class_notice_refuses_health_details(demo_sessions, alex) -> None:
    messages = service(demo_sessions)
    draft = await messages.draft(alex, PERIOD_3, NOW, via="test")
    assert not draft.has_health
    with pytest.raises(NotAllowed, match="never in a class notice"):
        await messages.send(alex, draft.key, include_health=True, confirmed=draft.recipients, via="test")
    assert await recipients(demo_sessions) == []


# --- bulk: the count, then a confirmation --------------------------------------------------------------------------
async def test_a_class_notice_shows_the_count_and_sends_nothing_until_that_count_is_confirmed(
        demo_sessions, alex) -> None:
    messages = service(demo_sessions)
    draft = await messages.draft(alex, PERIOD_3, NOW, via="test")
    first = await messages.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert first.status == "confirm" and first.recipients == draft.recipients
    assert first.sentence == (f"This notice goes to {draft.recipients} guardians of {draft.students} students. "
                              "Confirm to send it.")
    stale = await messages.send(alex, draft.key, include_health=False, confirmed=draft.recipients - 1, via="test")
    assert stale.status == "confirm"  # a count the teacher didn't see is not a confirmation
    assert await recipients(demo_sessions) == [] and await audit_rows(demo_sessions, "message_home.send") == []
    sent = await messages.send(alex, draft.key, include_health=False, confirmed=draft.recipients, via="test")
    assert sent.status == "packaged" and sent.recipients == draft.recipients
    rows = await recipients(demo_sessions)
    assert len(rows) == draft.recipients and len({r.student_id for r in rows}) == draft.students


async def test_a_class_notice_asks_again_when_the_class_changed_after_the_count(demo_sessions, alex) -> None:
    messages = service(demo_sessions)
    draft = await messages.draft(alex, PERIOD_3, NOW, via="test")
    first = await messages.send(alex, draft.key, include_health=False, confirmed=None, via="test")
    assert first.status == "confirm" and await recipients(demo_sessions) == []
    async with demo_sessions() as session:
        leaver = await session.scalar(select(Enrollment.student_id).where(Enrollment.class_id == (
            select(HomeMessage.class_id).where(HomeMessage.key == draft.key).scalar_subquery())).limit(1))
        await session.execute(delete(Enrollment).where(Enrollment.student_id == leaver))
        await session.commit()
    changed = await messages.send(alex, draft.key, include_health=False, confirmed=first.recipients, via="test")
    assert changed.status == "confirm" and changed.recipients < first.recipients
    assert await recipients(demo_sessions) == []


# --- audit: who, what, to whom -------------------------------------------------------------------------------------
async def test_every_send_is_audited_who_what_to_whom_without_addresses_or_text(
        demo_sessions, alex, eli, outlook, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    draft = await outlook.draft(alex, MessageRequest("incident", eli), NOW, via="tool:message_home")
    await outlook.send(alex, draft.key, include_health=False, confirmed=None, via="card:message_home")
    drafted = await audit_rows(demo_sessions, "message_home.draft")
    assert [(r.actor_staff_id, r.subject_type, r.subject_id, r.via, r.allowed, r.reason) for r in drafted] == [
        (alex.staff_id, "student", eli, "tool:message_home", True, "incident")]
    sent = await audit_rows(demo_sessions, "message_home.send")
    own = sorted(g.id for g in await guardians(demo_sessions, eli))
    message_id = (await recipients(demo_sessions))[0].message_id
    assert sorted((r.subject_type, r.subject_id) for r in sent) == sorted(
        [("guardian", own[0]), ("guardian", own[1]), ("student", eli)])
    assert {(r.actor_staff_id, r.actor_aad_object_id, r.via, r.allowed) for r in sent} == {
        (alex.staff_id, alex.aad_object_id, "card:message_home", True)}
    assert {r.reason for r in sent} == {f"incident; graph_send; message {message_id}"}
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in ("guardian.uno@example.test", "Guardian Uno", "wrist", "Estimado"):
        assert secret not in logged


async def test_a_class_notice_is_audited_per_guardian_and_per_student(demo_sessions, alex) -> None:
    messages = service(demo_sessions)
    draft = await messages.draft(alex, PERIOD_3, NOW, via="test")
    await messages.send(alex, draft.key, include_health=False, confirmed=draft.recipients, via="test")
    sent = await audit_rows(demo_sessions, "message_home.send")
    assert sum(r.subject_type == "guardian" for r in sent) == draft.recipients
    assert sum(r.subject_type == "student" for r in sent) == draft.students
    assert {r.reason for r in sent} == {f"class_notice; eml; message {(await recipients(demo_sessions))[0].message_id}"}
