"""A large export is counted and confirmed before it is made (EXPORT_CONFIRM_STUDENTS, default 100): the caller first
gets how many students and rows it would hold and which fields; nothing is stored until the same request comes back
with that count; a count that changed meanwhile asks again; a cancel makes nothing; both are audited. Real
PostgreSQL with the demo district; through the app, the confirmation card's buttons."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from devtools.fakes.activities import ALEX, MEGAN, activity
from domain.exports import ExportPending, ExportReady, ExportService
from domain.models import AuditLog, ExportFile
from domain.settings import Settings
from domain.widgets import WidgetRequest, WidgetService
from tests.exports.conftest import NOW
from tests.exports.test_through_the_app import cards
from tests.support.card_flow import card_action, execute

SCHOOL_SKILL_GAPS = WidgetRequest("skill_gaps", None, None, None, None, NOW.date())


async def _stored(sessions: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ExportFile)))


async def _audit(sessions: Any, action: str) -> list[AuditLog]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_the_default_threshold_is_a_hundred_students() -> None:
    assert Settings.model_fields["export_confirm_students"].default == 100


async def test_a_school_wide_export_shows_its_count_and_fields_and_makes_nothing_until_confirmed(
        exports: ExportService, actor_of: Any, demo_sessions: Any) -> None:
    megan = await actor_of(MEGAN)
    pending = await exports.widget(megan, SCHOOL_SKILL_GAPS, "csv", now=NOW)
    assert isinstance(pending, ExportPending)
    shown = await WidgetService(demo_sessions).run(megan, "skill_gaps", now=NOW, full_tables=True)
    assert shown.table is not None
    assert pending.student_count == len(set(shown.student_ids)) > 100 and pending.threshold == 100
    assert pending.rows == len(shown.table.rows) and pending.fields == shown.table.columns
    assert await _stored(demo_sessions) == 0 and await _audit(demo_sessions, "export.create") == []

    wrong = await exports.widget(megan, SCHOOL_SKILL_GAPS, "csv", now=NOW, confirmed=pending.student_count - 1)
    assert isinstance(wrong, ExportPending) and await _stored(demo_sessions) == 0  # another count asks again

    ready = await exports.widget(megan, SCHOOL_SKILL_GAPS, "csv", now=NOW, confirmed=pending.student_count)
    assert isinstance(ready, ExportReady) and ready.student_count == pending.student_count
    assert ready.rows == pending.rows and await _stored(demo_sessions) == 1
    [created] = await _audit(demo_sessions, "export.create")
    assert created.actor_staff_id == megan.staff_id and created.subject_id == ready.export_id
    assert f"{pending.student_count} students; confirmed" in (created.reason or "")


async def test_one_class_is_exported_at_once_and_a_lower_threshold_asks_for_it_too(
        exports: ExportService, actor_of: Any, demo_sessions: Any) -> None:
    alex = await actor_of(ALEX)
    request = WidgetRequest("attendance", "period 3", None, None, None, NOW.date())
    ready = await exports.widget(alex, request, "csv", now=NOW)
    assert isinstance(ready, ExportReady) and 0 < ready.student_count <= 100
    [created] = await _audit(demo_sessions, "export.create")
    assert "confirmed" not in (created.reason or "")

    strict = ExportService(demo_sessions, WidgetService(demo_sessions), exports._links, confirm_students=5)
    pending = await strict.fitness_results(alex, "period 3", now=NOW)
    assert isinstance(pending, ExportPending) and pending.student_count > 5
    assert "Student" in " ".join(pending.fields) and pending.again["report"] == "fitness_results"
    assert await _stored(demo_sessions) == 1


async def test_a_cancelled_export_makes_nothing_and_is_audited(exports: ExportService, actor_of: Any,
                                                               demo_sessions: Any) -> None:
    megan = await actor_of(MEGAN)
    pending = await exports.widget(megan, SCHOOL_SKILL_GAPS, "pdf", now=NOW)
    assert isinstance(pending, ExportPending) and pending.rows is not None
    assert pending.fields[:2] == ("headline figures", "chart")
    await exports.cancel(megan, pending, via="test")
    [cancel] = await _audit(demo_sessions, "export.cancel")
    assert cancel.actor_staff_id == megan.staff_id and cancel.allowed and cancel.subject_id is None
    assert f"{pending.student_count} students" in (cancel.reason or "") and pending.file_name in (cancel.reason or "")
    assert await _stored(demo_sessions) == 0 and await _audit(demo_sessions, "export.create") == []


async def test_through_the_app_the_admin_confirms_on_the_card_or_cancels(app: Any, connector: Any,
                                                                         demo_sessions_for: Any) -> None:
    sessions = demo_sessions_for(app)
    ask = "export the skill gaps for the school to a spreadsheet"
    await app.post(activity(connector.url, text=ask, aad=MEGAN))
    message = connector.messages()[-1]
    [card] = cards(message)
    facts = {f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]}
    count = int(facts["Students named"])
    assert card["body"][0]["text"].startswith("Confirm a large export: Skill gaps") and count > 100
    assert "Student" in facts["Fields"] and int(facts["Rows"]) > 0
    assert "nothing has been made yet" in message["text"].lower() and "/exports/" not in json.dumps(message)
    assert await _stored(sessions) == 0

    confirm = next(a for a in card["actions"] if a["title"] == f"Make the file ({count} students)")
    status, body = await app.post(execute(connector, confirm, {}, aad=MEGAN))
    assert status == 200 and "Excel ready: Skill gaps" in json.dumps(body)
    assert await _stored(sessions) == 1
    [created] = await _audit(sessions, "export.create")
    assert f"{count} students; confirmed" in (created.reason or "")

    await app.post(activity(connector.url, text=ask, aad=MEGAN))
    [again] = cards(connector.messages()[-1])
    _, cancelled = await app.post(execute(connector, card_action(again, "Cancel"), {}, aad=MEGAN))
    assert "No file was made" in json.dumps(cancelled) and await _stored(sessions) == 1
    [cancel] = await _audit(sessions, "export.cancel")
    assert cancel.allowed and f"{count}" in (cancel.reason or "") and "Skill gaps" in (cancel.reason or "")
