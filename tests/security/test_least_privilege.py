"""Least privilege and audit on the demo seed: every read path × every role × a student in and out of scope;
the admin's access-history command; deleting a student removes every trace of them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from sqlalchemy import Text, cast, func, or_, select

from bot import actions
from bot.commands.admin import DELETE_VERB, admin_command, confirm_delete_student
from domain.access_history import AccessHistoryService
from domain.actor import Actor
from domain.errors import DomainError, NotAllowed
from domain.identity import IdentityService
from domain.incidents import IncidentService
from domain.models import (
    Activity,
    ActivityParticipation,
    Alert,
    AlertDelivery,
    Attendance,
    AuditLog,
    CalendarEvent,
    ConversationTurn,
    DriversEdProgress,
    Enrollment,
    FitnessTest,
    Guardian,
    HealthNote,
    Incident,
    KnowledgeChunk,
    KnowledgeDocument,
    KnowledgePassage,
    KnowledgeUpload,
    LessonPlan,
    MessageFeedback,
    SkillAssessment,
    Student,
)
from domain.models.safety import Severity
from domain.privacy import PrivacyService
from domain.seed.facts import DEMO
from domain.students import StudentService
from domain.widgets.scope import StudentNotInScope
from domain.widgets.service import WidgetService
from tests.support.security import MODULE, services, sessions_for
from tools.base import ToolDeps

pytestmark = MODULE
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
STUDENTS = {"jamie": DEMO.jamie_ortiz, "riley": DEMO.riley_novak, "morgan": DEMO.morgan_tate}
# Who may read whom: teachers their classes, admin and nurse their (middle) school, nobody another school.
MATRIX = {
    "alex": {"jamie": True, "riley": False, "morgan": False},
    "isaiah": {"jamie": False, "riley": True, "morgan": False},
    "megan": {"jamie": True, "riley": True, "morgan": False},
    "adele": {"jamie": True, "riley": True, "morgan": False},
    "patti": {"jamie": False, "riley": False, "morgan": False},
}
RESTRICTED = {"megan", "adele"}  # health notes, date of birth, address


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(module_db: str) -> AsyncIterator[dict[str, Any]]:
    engine, sessions = await sessions_for(module_db)
    identity = IdentityService(sessions)
    people = {name: await identity.resolve(DEMO.tenant_id, getattr(DEMO, name).aad_object_id) for name in MATRIX}
    async with sessions() as s:
        ids = {k: (await s.execute(select(Student.id).where(Student.student_number == v.student_number))).scalar_one()
               for k, v in STUDENTS.items()}
    yield {"sessions": sessions, "people": people, "ids": ids}
    await engine.dispose()


def admin_services(sessions: Any, privacy: PrivacyService | None = None) -> Any:
    """What admin commands read (``services.students``, ``.access_history``, ``.privacy``), wired or not."""
    return SimpleNamespace(students=StudentService(sessions), access_history=AccessHistoryService(sessions),
                           privacy=privacy)


async def audits(sessions: Any, actor: Actor, student_id: int, via: str) -> list[bool]:
    async with sessions() as s:
        rows = await s.execute(select(AuditLog.allowed).where(
            AuditLog.actor_staff_id == actor.staff_id, AuditLog.subject_id == student_id, AuditLog.via == via))
        return list(rows.scalars())


@pytest.mark.parametrize("role", list(MATRIX))
async def test_student_lookup_is_scoped_per_role_and_every_read_or_refusal_is_audited(world: dict, role: str) -> None:
    actor, students = world["people"][role], StudentService(world["sessions"])
    for key, fixture in STUDENTS.items():
        via = f"test:lookup:{role}"
        found = await students.find(actor, fixture.full_name, via=via)
        allowed = MATRIX[role][key]
        assert (found.status == "found") is allowed, (role, key)
        if allowed:
            profile = found.profile
            assert profile is not None
            sees_restricted = role in RESTRICTED
            assert (profile.health_notes is not None) is sees_restricted
            assert (profile.date_of_birth is not None) is sees_restricted
            assert (profile.address is not None) is sees_restricted
        assert await audits(world["sessions"], actor, world["ids"][key], via) == [allowed]


@pytest.mark.parametrize("role", list(MATRIX))
async def test_incident_history_is_scoped_per_role_and_audited(world: dict, role: str) -> None:
    actor, incidents = world["people"][role], IncidentService(world["sessions"])
    for key in STUDENTS:
        via = f"test:incidents:{role}"
        try:
            await incidents.recent_for_student(actor, world["ids"][key], via=via)
            allowed = True
        except DomainError:
            allowed = False
        assert allowed is MATRIX[role][key], (role, key)
        assert await audits(world["sessions"], actor, world["ids"][key], via) == [allowed]


@pytest.mark.parametrize("role", ["alex", "isaiah", "megan"])
async def test_widgets_refuse_other_teachers_students_and_classes(world: dict, role: str) -> None:
    actor, widgets = world["people"][role], WidgetService(world["sessions"])
    for key in ("jamie", "riley"):
        if MATRIX[role][key]:
            result = await widgets.run(actor, "attendance", now=NOW, student_text=STUDENTS[key].full_name)
            assert world["ids"][key] in result.student_ids, (role, key)
        else:  # refused outright (and the refusal audited), not answered with an empty result
            before = await audits(world["sessions"], actor, world["ids"][key], "widget:attendance")
            with pytest.raises(StudentNotInScope):
                await widgets.run(actor, "attendance", now=NOW, student_text=STUDENTS[key].full_name)
            after = await audits(world["sessions"], actor, world["ids"][key], "widget:attendance")
            assert after == [*before, False], (role, key, after)
    if role == "alex":  # Isaiah's class, asked for by name: refused and audited as a class read
        with pytest.raises(NotAllowed):
            await widgets.run(actor, "attendance", now=NOW, class_text=DEMO.isaiah_classes[1])
        async with world["sessions"]() as s:
            denied = (await s.execute(select(func.count()).select_from(AuditLog).where(
                AuditLog.actor_staff_id == actor.staff_id, AuditLog.subject_type == "class",
                AuditLog.allowed.is_(False)))).scalar_one()
        assert denied >= 1


@pytest.mark.parametrize("role", ["alex", "megan", "patti"])
async def test_cards_only_offer_and_open_students_the_caller_may_see(world: dict, role: str) -> None:
    actor = world["people"][role]
    deps = ToolDeps(actor=actor, services=services(world["sessions"]), now=NOW)
    form = await actions.handle({"action": "incident.form"}, deps)
    choices = {c["value"] for card in form.cards for c in _choices(card)}
    for key in STUDENTS:
        assert (str(world["ids"][key]) in choices) is MATRIX[role][key], (role, key)
        opened = await actions.handle({"action": "lookup_student", "query": STUDENTS[key].student_number}, deps)
        assert bool(opened.cards) is MATRIX[role][key], (role, key)


def _choices(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = list(node.get("choices") or []) if node.get("type") == "Input.ChoiceSet" else []
        return found + [c for v in node.values() for c in _choices(v)]
    if isinstance(node, list):
        return [c for v in node for c in _choices(v)]
    return []


async def test_an_admin_sees_who_accessed_a_student_and_others_cannot(world: dict) -> None:
    megan, alex = world["people"]["megan"], world["people"]["alex"]
    svc = admin_services(world["sessions"])
    await StudentService(world["sessions"]).find(alex, DEMO.jamie_ortiz.full_name, via="tool:lookup_student")
    outcome = await admin_command(f"access history {DEMO.jamie_ortiz.student_number}", megan, svc)
    assert outcome is not None and outcome.cards
    values = [f["value"] for block in outcome.cards[0]["body"] for f in block.get("facts", [])]
    assert any(v.startswith("Alex Wilber (teacher)") and "tool:lookup\\_student" in v for v in values)
    refused = await admin_command("access history Jamie Ortiz", alex, svc)
    assert refused is not None and "Only administrators" in (refused.text or "") and not refused.cards
    assert await admin_command("show me Jamie", megan, svc) is None
    assert await audits(world["sessions"], megan, world["ids"]["jamie"], "command:access_history") == [True, True]


# Every table with a row about one student (its student_id) and every free-text column that may name them. The
# deletion test seeds each one for Jamie Ortiz, checks each is non-empty first, then that each is empty after.
OWN_ROWS = (Attendance, ActivityParticipation, SkillAssessment, FitnessTest, HealthNote, DriversEdProgress, Guardian,
            Enrollment, Incident)
NAME = DEMO.jamie_ortiz.full_name


async def _seed_every_trace(s: Any, sid: int, other: int, alex: Actor, megan: Actor) -> None:
    """Rows naming Jamie Ortiz in every place the product can hold them (the demo seed already gives her attendance,
    guardians, enrollments...; what it may lack is added here)."""
    class_id = (await s.execute(select(Enrollment.class_id).where(Enrollment.student_id == sid))).scalars().first()
    day = NOW.date()
    s.add_all([
        Attendance(class_id=class_id, student_id=sid, day=day.replace(year=2020), status="absent"),
        SkillAssessment(student_id=sid, class_id=class_id, assessor_id=alex.staff_id, skill="dribbling",
                        unit="Basketball", level=2, assessed_on=day),
        FitnessTest(student_id=sid, test="pacer", value=31, unit="laps", tested_on=day),
        HealthNote(student_id=sid, author_id=megan.staff_id, category="allergy", note="peanuts"),
        DriversEdProgress(student_id=sid, classroom_hours=1, behind_wheel_hours=0, units_completed=1,
                          units_required=10, updated_at=NOW),
    ])
    activity_row = Activity(class_id=class_id, day=day, name="Relay", unit="Track", minutes=30)
    s.add(activity_row)
    await s.flush()
    s.add(ActivityParticipation(activity_id=activity_row.id, student_id=sid, minutes_active=25))
    incident = Incident(school_id=alex.school_id, student_id=sid, reporter_id=alex.staff_id, occurred_at=NOW,
                        location="gym", activity="basketball", incident_type="injury", severity=Severity.serious,
                        description="rolled her ankle")
    s.add(incident)
    await s.flush()
    alert = Alert(incident_id=incident.id, school_id=alex.school_id, reason="serious incident")
    s.add(alert)
    await s.flush()
    s.add(AlertDelivery(alert_id=alert.id, recipient_id=megan.staff_id))
    # another student's incident, an event, feedback, a lesson plan and an uploaded document that name her
    s.add(Incident(school_id=alex.school_id, student_id=other, reporter_id=alex.staff_id, occurred_at=NOW,
                   location="gym", activity="soccer", incident_type="injury", severity=Severity.minor,
                   description=f"collided with {NAME} during a drill", witnesses=f"{NAME}, coach"))
    s.add(CalendarEvent(organizer_id=alex.staff_id, title=f"Parent meeting about {NAME}", starts_at=NOW,
                        ends_at=NOW, time_zone="America/Chicago", description=f"Discuss {NAME}'s ankle"))
    s.add(MessageFeedback(staff_id=alex.staff_id, activity_id="act-1", reaction="dislike",
                          text=f"It showed the wrong class for {NAME}"))
    s.add(LessonPlan(author_id=alex.staff_id, grade=6, topic="volleyball", duration_minutes=45,
                     plan={"adaptations": [f"{NAME} serves from the 10-foot line"]}))
    s.add(ConversationTurn(conversation_id="c1", staff_id=alex.staff_id, role="user", content="x",
                           student_ids=[sid]))
    s.add(ConversationTurn(conversation_id="c1", staff_id=alex.staff_id, role="assistant",
                           content=f"{NAME} is in period 1", student_ids=[]))
    s.add(ConversationTurn(conversation_id="c1", staff_id=alex.staff_id, role="user", content="unrelated",
                           student_ids=[other]))
    document = KnowledgeDocument(slug="upload-notes", title="Notes", kind="safety", audience="all-staff",
                                 grade_band="K-12", version="1", reviewed_by="Megan Bowen", content_hash="x",
                                 source="upload")
    s.add(document)
    await s.flush()
    s.add(KnowledgeUpload(staff_id=megan.staff_id, file_name="notes.md", slug="upload-notes",
                          content=f"# Notes\n\n## Ankles\n{NAME} taped ankles.", content_hash="x", status="added",
                          document_id=document.id))
    for ordinal, text_ in enumerate((f"Notes — Ankles\n{NAME} taped ankles.", "Notes — Shoes\nLace shoes.")):
        chunk_id = f"upload-notes#{ordinal}"
        s.add(KnowledgeChunk(id=chunk_id, document_id=document.id, ordinal=ordinal, section="s", content=text_,
                             content_hash=str(ordinal), embedding_model="test", embedding_dim=3,
                             embedding=[1.0, 0.0, 0.0]))
        await s.flush()
        s.add(KnowledgePassage(chunk_id=chunk_id, ordinal=0, content=text_, embedding_model="test", embedding_dim=3,
                               embedding=[1.0, 0.0, 0.0]))
    await s.flush()
    enrollment = (await s.execute(select(Enrollment).where(Enrollment.student_id == other))).scalars().first()
    enrollment.keep_apart_from = [*(enrollment.keep_apart_from or []), sid]


async def _traces(s: Any, sid: int) -> dict[str, int]:
    """How many rows still carry the student's id or name, per table (the audit log keeps ids only, by design)."""
    async def n(model: Any, *where: Any) -> int:
        return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())

    def named(column: Any) -> Any:
        return func.strpos(func.lower(cast(column, Text)), NAME.lower()) > 0

    found = {model.__tablename__: await n(model, model.student_id == sid) for model in OWN_ROWS}
    alerts = select(Alert.id).join(Incident, Incident.id == Alert.incident_id).where(Incident.student_id == sid)
    found |= {
        "students": await n(Student, Student.id == sid),
        "alerts": await n(Alert, Alert.id.in_(alerts)),
        "alert_deliveries": await n(AlertDelivery, AlertDelivery.alert_id.in_(alerts)),
        "keep_apart_references": await n(Enrollment, Enrollment.keep_apart_from.contains([sid])),
        "conversation_turns": await n(ConversationTurn, or_(ConversationTurn.student_ids.contains([sid]),
                                                            named(ConversationTurn.content))),
        "knowledge_chunks": await n(KnowledgeChunk, named(KnowledgeChunk.content)),
        "knowledge_passages": await n(KnowledgePassage, named(KnowledgePassage.content)),
        "knowledge_uploads": await n(KnowledgeUpload, named(KnowledgeUpload.content)),
        "other_incidents": await n(Incident, or_(named(Incident.description), named(Incident.witnesses))),
        "calendar_events": await n(CalendarEvent, or_(named(CalendarEvent.title), named(CalendarEvent.description))),
        "message_feedback": await n(MessageFeedback, named(MessageFeedback.text)),
        "lesson_plans": await n(LessonPlan, named(LessonPlan.plan)),
    }
    return found


async def test_deleting_a_student_removes_rows_memory_chunks_and_redis_keys(
    demo_db_url: str, redis_server: str
) -> None:
    engine, sessions = await sessions_for(demo_db_url)
    redis = Redis.from_url(redis_server)
    try:
        identity = IdentityService(sessions)
        megan = await identity.resolve(DEMO.tenant_id, DEMO.megan.aad_object_id)
        alex = await identity.resolve(DEMO.tenant_id, DEMO.alex.aad_object_id)
        number = DEMO.jamie_ortiz.student_number
        async with sessions() as s, s.begin():
            sid = (await s.execute(select(Student.id).where(Student.student_number == number))).scalar_one()
            other = (await s.execute(select(Student.id).where(
                Student.student_number == DEMO.zoe_muller.student_number))).scalar_one()
            await _seed_every_trace(s, sid, other, alex, megan)
        async with sessions() as s:
            before = await _traces(s, sid)
            others_before = (await s.execute(select(func.count()).select_from(Attendance).where(
                Attendance.student_id == other))).scalar_one()
        assert all(count > 0 for count in before.values()), {k: v for k, v in before.items() if not v}
        await redis.set(f"faraday:cache:student:{sid}", "1")
        await redis.set(f"faraday:cache:student:{sid}:widgets", "1")
        await redis.set(f"faraday:cache:student:{sid}1", "someone else")
        svc = admin_services(sessions, PrivacyService(sessions, redis))
        deps_alex = ToolDeps(actor=alex, services=svc, now=NOW)
        refused = await confirm_delete_student({"action": DELETE_VERB, "student_number": number}, deps_alex)
        assert "Nothing was deleted" in (refused.text or "")
        async with sessions() as s:
            assert await _traces(s, sid) == before, "a refused deletion changes nothing"
        asked = await admin_command(f"delete student {number}", megan, svc)
        assert asked is not None and asked.cards
        button = asked.cards[0]["actions"][0]
        assert button["type"] == "Action.Execute" and button["verb"] == DELETE_VERB
        assert button["fallback"]["type"] == "Action.Submit"
        done = await confirm_delete_student(button["data"], ToolDeps(actor=megan, services=svc, now=NOW))
        assert "Deleted student" in (done.text or "")
        async with sessions() as s:
            left = await _traces(s, sid)
            assert left == dict.fromkeys(before, 0), {k: v for k, v in left.items() if v}
            # what is not about her stays: the other turn, the other chunk, the other student's rows and incident
            turns = (await s.execute(select(ConversationTurn.content))).scalars().all()
            assert turns == ["unrelated"]
            assert (await s.execute(select(KnowledgeChunk.content))).scalars().all() == ["Notes — Shoes\nLace shoes."]
            assert (await s.execute(select(func.count()).select_from(Attendance).where(
                Attendance.student_id == other))).scalar_one() == others_before
            kept = (await s.execute(select(Incident.description).where(Incident.student_id == other,
                                                                       Incident.activity == "soccer"))).scalar_one()
            assert kept.startswith("collided with") and "during a drill" in kept
            trail = (await s.execute(select(AuditLog.allowed, AuditLog.actor_staff_id).where(
                AuditLog.action == "student.delete", AuditLog.subject_id == sid))).all()
        assert sorted(trail) == sorted([(False, alex.staff_id), (True, megan.staff_id)])
        assert await redis.exists(f"faraday:cache:student:{sid}", f"faraday:cache:student:{sid}:widgets") == 0
        assert await redis.exists(f"faraday:cache:student:{sid}1") == 1
    finally:
        await redis.aclose()
        await engine.dispose()


async def test_through_the_app_an_admin_deletes_a_student_with_the_confirmation_card(
    app_client: Any, fake_connector: Any, module_db: str
) -> None:
    from bot.channel.auth import FaradayAuthentication
    from bot.routes import AUTH
    from devtools.fakes.activities import MEGAN, activity

    assert isinstance(app_client.server.app[AUTH], FaradayAuthentication), "bot/app.py uses bot.auth's authentication"
    number = DEMO.kate_brooks.student_number
    await app_client.post(activity(fake_connector.url, text=f"delete student {number}", aad=MEGAN))
    card = fake_connector.messages()[-1]["attachments"][0]["content"]
    button = card["actions"][0]
    invoke = activity(fake_connector.url, type="invoke", name="adaptiveCard/action", aad=MEGAN,
                      value={"action": {"type": "Action.Execute", "verb": button["verb"], "data": button["data"]}})
    status, body = await app_client.post(invoke)
    assert status == 200 and "Student deleted" in json.dumps(body)
    engine, sessions = await sessions_for(module_db)
    try:
        async with sessions() as s:
            assert (await s.execute(select(func.count()).select_from(Student).where(
                Student.student_number == number))).scalar_one() == 0
    finally:
        await engine.dispose()
