"""Drafting from the record (real PostgreSQL, the demo district): an incident note, an attendance concern, a fitness
report against the Healthy Fitness Zone and a kit reminder to a class, each in the school's language beside each
guardian's; nothing is sent by drafting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from domain.errors import InvalidInput
from domain.messages_home.service import MessageRequest
from domain.models import Attendance, Enrollment, FitnessTest, HomeMessage, HomeMessageRecipient
from tests.support.messages_home import (
    NOW,
    count,
    guardians,
    record_incident,
    service,
    set_guardians,
    student_id,
)

ELI = "S109005"  # Eli Navarro: Alex's student, his family reads Spanish (seeded)
KATE = "S109004"


async def test_an_incident_note_is_drafted_in_english_beside_spanish_and_nothing_is_sent(demo_sessions, alex) -> None:
    eli = await student_id(demo_sessions, ELI)
    await record_incident(demo_sessions, alex, eli)
    draft = await service(demo_sessions).draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert [t.language for t in draft.texts] == ["en", "es"]
    assert draft.languages == {"es": len(await guardians(demo_sessions, eli))}
    english, spanish = draft.texts
    assert "Eli was involved in an incident in PE on Tuesday, November 24" in english.body
    assert "Eli tuvo un incidente en la clase de Educación Física el martes 24 de noviembre" in spanish.body
    assert "left wrist" in english.health and "left wrist" in spanish.health and "(en inglés)" in spanish.health
    assert "wrist" not in english.compose(False) and "wrist" in english.compose(True)
    assert draft.has_health and draft.writer == "template" and draft.delivery == "eml"
    assert await count(demo_sessions, HomeMessageRecipient) == 0
    async with demo_sessions() as session:
        row = await session.scalar(select(HomeMessage))
    assert row.status == "draft" and row.sender_id == alex.staff_id


async def test_without_a_recorded_incident_there_is_nothing_to_write_from(demo_sessions, alex) -> None:
    kate = await student_id(demo_sessions, KATE)
    with pytest.raises(InvalidInput, match="No incident is recorded for Kate Brooks"):
        await service(demo_sessions).draft(alex, MessageRequest("incident", kate), NOW, via="test")
    assert await count(demo_sessions, HomeMessage) == 0


async def test_an_attendance_concern_counts_the_missed_lessons_in_the_senders_classes(demo_sessions, alex) -> None:
    kate = await student_id(demo_sessions, KATE)
    async with demo_sessions() as session:
        class_id = await session.scalar(select(Enrollment.class_id).where(Enrollment.student_id == kate))
        await session.execute(Attendance.__table__.delete().where(Attendance.student_id == kate))
        days = [NOW.date() - timedelta(days=d) for d in (1, 2, 3, 6, 7, 8, 9)]
        await session.execute(insert(Attendance), [
            {"class_id": class_id, "student_id": kate, "day": day, "status": status}
            for day, status in zip(days, ["absent", "absent", "present", "absent", "tardy", "present", "present"],
                                   strict=True)])
        await session.commit()
    await set_guardians(demo_sessions, kate, preferred_language=None)
    draft = await service(demo_sessions).draft(alex, MessageRequest("attendance", kate), NOW, via="test")
    assert [t.language for t in draft.texts] == ["en"]
    assert "Kate has missed 3 of the 7 PE lessons since October 25 (and arrived late to 1)" in draft.texts[0].body
    assert not draft.has_health


async def test_a_fitness_report_places_each_latest_result_in_the_healthy_fitness_zone(demo_sessions, alex) -> None:
    kate = await student_id(demo_sessions, KATE)
    async with demo_sessions() as session:
        await session.execute(FitnessTest.__table__.delete().where(FitnessTest.student_id == kate))
        await session.execute(insert(FitnessTest), [
            {"student_id": kate, "test": "pacer", "value": 12, "unit": "laps", "tested_on": NOW.date() - timedelta(30)},
            {"student_id": kate, "test": "pacer", "value": 60, "unit": "laps", "tested_on": NOW.date() - timedelta(3)},
            {"student_id": kate, "test": "push_ups", "value": 1, "unit": "reps", "tested_on": NOW.date()}])
        await session.commit()
    await set_guardians(demo_sessions, kate, preferred_language="es")
    draft = await service(demo_sessions).draft(alex, MessageRequest("fitness", kate), NOW, via="test")
    english, spanish = draft.texts
    assert "- PACER: 60 laps (November 21): Healthy Fitness Zone" in english.health
    assert "- 90° push-ups: 1 rep (November 24): Needs Improvement" in english.health
    assert "12 laps" not in english.health  # the latest result per test only
    assert "- PACER: 60 vueltas (21 de noviembre): Zona de Aptitud Física Saludable" in spanish.health
    assert "Necesita mejorar" in spanish.health


async def test_a_kit_reminder_to_a_class_counts_every_guardian_and_needs_the_model_for_vietnamese(
        demo_sessions, alex) -> None:
    draft = await service(demo_sessions).draft(
        alex, MessageRequest("class_notice", class_text="period 3", topic="reminder about kit"), NOW, via="test")
    assert draft.bulk and draft.about == "PE 7 — Period 3" and draft.students >= 20
    assert draft.recipients == sum(draft.languages.values()) and draft.recipients > draft.students
    assert draft.texts[0].subject == "Reminder: PE kit for PE 7 — Period 3"
    spanish = next(t for t in draft.texts if t.language == "es")
    assert spanish.translated and "ropa de Educación Física" in spanish.body
    if "vi" in draft.languages:
        vietnamese = next(t for t in draft.texts if t.language == "vi")
        assert not vietnamese.translated and any("Vietnamese needs the AI model" in n for n in draft.notes)


async def test_a_class_notice_in_the_teachers_own_words_has_no_offline_spanish(demo_sessions, alex) -> None:
    draft = await service(demo_sessions).draft(
        alex, MessageRequest("class_notice", class_text="period 3", topic="We are outside all next week."), NOW,
        via="test")
    spanish = next(t for t in draft.texts if t.language == "es")
    assert not spanish.translated and spanish.body == draft.texts[0].body  # no made-up translation
    assert any("Spanish" in note and "needs the AI model" in note for note in draft.notes)
