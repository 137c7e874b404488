"""What may leave as a file, and who may fetch it: each rule with a refusal test (real PostgreSQL, demo district).

- only records the requester may read: another teacher's class, another teacher's student, an incident about a
  student outside the requester's classes are refused, the attempt audited, and no file is made;
- a link works only while it is genuine, unexpired and its file is still kept; a token for one staff member cannot be
  turned into another's (signature), a calendar token cannot open an export (own key), and a Teams file-consent
  upload needs the person pressing *Allow* to be the one the file was made for.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from devtools.fakes.activities import ALEX, ISAIAH, MEGAN
from domain.calendar.links import IcsLinks
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.models import AuditLog, ExportFile, Incident, SchoolClass, Staff, Student
from domain.widgets import WidgetRequest
from tests.exports.conftest import NOW, SECRET


async def export_count(sessions: Any) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(ExportFile)) or 0)


async def refusals(sessions: Any, action: str) -> list[AuditLog]:
    async with sessions() as s:
        return list((await s.execute(select(AuditLog).where(AuditLog.action == action,
                                                            AuditLog.allowed.is_(False)))).scalars())


async def test_a_teacher_cannot_export_another_teachers_class(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex = await actor_of(ALEX)
    with pytest.raises(NotAllowed, match="not one of your classes"):
        await exports.widget(alex, WidgetRequest("attendance", "period 2", None, None, None, NOW.date()), "csv",
                             now=NOW)
    with pytest.raises(NotAllowed, match="not one of your classes"):
        await exports.fitness_results(alex, "period 2", now=NOW)
    refused = await refusals(demo_sessions, "class.read")
    assert refused and all(r.actor_staff_id == alex.staff_id and r.subject_type == "class" for r in refused)
    assert {r.via for r in refused} == {"widget:attendance", "export:fitness_results"}
    assert await export_count(demo_sessions) == 0


async def test_a_teacher_cannot_export_a_student_outside_their_classes(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex = await actor_of(ALEX)
    with pytest.raises(InvalidInput, match="No student called 'Riley Novak'"):
        await exports.widget(alex, WidgetRequest("attendance", None, "Riley Novak", None, None, NOW.date()), "xlsx",
                             now=NOW)
    refused = await refusals(demo_sessions, "student.read")
    async with demo_sessions() as s:
        riley = await s.scalar(select(Student.id).where(Student.first_name == "Riley", Student.last_name == "Novak"))
    assert riley in {r.subject_id for r in refused}
    assert await export_count(demo_sessions) == 0


async def test_an_incident_report_needs_the_incidents_student_to_be_the_requesters(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex, isaiah = await actor_of(ALEX), await actor_of(ISAIAH)
    async with demo_sessions() as s:
        isaiahs = await s.scalar(
            select(Incident.id).join(SchoolClass, SchoolClass.id == Incident.class_id)
            .where(SchoolClass.teacher_id == isaiah.staff_id, Incident.student_id.is_not(None)).limit(1))
        missing = int(await s.scalar(select(func.max(Incident.id))) or 0) + 1000
    assert isaiahs is not None
    with pytest.raises(NotAllowed, match=f"Incident #{isaiahs} is not about a student in your classes"):
        await exports.incident_report(alex, isaiahs, now=NOW)
    with pytest.raises(NotFound):
        await exports.incident_report(alex, missing, now=NOW)
    refused = await refusals(demo_sessions, "incident.read")
    assert [(r.subject_type, r.subject_id, r.actor_staff_id) for r in refused] == [("incident", isaiahs,
                                                                                     alex.staff_id)]
    assert await export_count(demo_sessions) == 0
    assert (await exports.incident_report(isaiah, isaiahs, now=NOW)).file_name.startswith("incident-report-")


async def test_a_link_stops_working_when_it_expires_and_the_file_is_then_deleted(exports, actor_of, clock, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex = await actor_of(ALEX)
    old = await exports.fitness_results(alex, "period 3", now=NOW)
    assert await exports.open(old.token) is not None
    clock.advance(timedelta(hours=24, seconds=1))
    assert await exports.open(old.token) is None
    await exports.fitness_results(alex, "period 1", now=NOW)  # making any export sweeps expired files away
    async with demo_sessions() as s:
        assert await s.scalar(select(ExportFile.id).where(ExportFile.id == old.export_id)) is None


async def test_a_file_past_its_stored_expiry_is_refused_even_with_a_genuine_token(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex = await actor_of(ALEX)
    ready = await exports.fitness_results(alex, "period 3", now=NOW)
    async with demo_sessions() as s, s.begin():
        await s.execute(update(ExportFile).where(ExportFile.id == ready.export_id)
                        .values(expires_at=func.now() - timedelta(minutes=1)))
    assert await exports.open(ready.token) is None


async def test_a_token_for_one_staff_member_cannot_be_rewritten_for_another_or_forged(exports, actor_of) -> None:  # type: ignore[no-untyped-def]
    alex, isaiah = await actor_of(ALEX), await actor_of(ISAIAH)
    ready = await exports.fitness_results(alex, "period 3", now=NOW)
    export, staff, rest = ready.token.split(".", 2)
    assert staff == str(alex.staff_id)
    assert await exports.open(f"{export}.{isaiah.staff_id}.{rest}") is None  # another staff member: bad signature
    payload, mac = ready.token.rsplit(".", 1)
    assert await exports.open(f"{payload}.{mac[::-1]}") is None  # forged signature
    assert await exports.open(f"{payload}.{'A' * 43}") is None
    longer = payload.split(".")
    longer[2] = str(int(longer[2]) + 86400)  # a later expiry, same signature
    assert await exports.open(".".join(longer) + f".{mac}") is None
    assert await exports.open("") is None and await exports.open("x1.1.1.abc.def") is None
    ics = IcsLinks(SECRET, timedelta(hours=1)).issue(ready.export_id, alex.staff_id)
    assert await exports.open("x" + ics) is None  # the calendar's key is not the exports' key


async def test_a_file_consent_upload_works_only_for_the_staff_member_it_was_made_for(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex, isaiah = await actor_of(ALEX), await actor_of(ISAIAH)
    ready = await exports.fitness_results(alex, "period 3", now=NOW)
    assert await exports.for_upload(isaiah, ready.token) is None
    refused = await refusals(demo_sessions, "export.download")
    assert [(r.actor_staff_id, r.subject_id, r.reason) for r in refused] == [
        (isaiah.staff_id, ready.export_id, "made for another staff member")]
    mine = await exports.for_upload(alex, ready.token)
    assert mine is not None and mine.data.startswith(b"Student number,")


async def test_a_link_stops_working_when_its_staff_member_leaves(exports, actor_of, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    alex = await actor_of(ALEX)
    ready = await exports.fitness_results(alex, "period 3", now=NOW)
    async with demo_sessions() as s, s.begin():
        await s.execute(update(Staff).where(Staff.id == alex.staff_id).values(active=False))
    assert await exports.open(ready.token) is None


async def test_an_admin_exports_the_school_but_a_teacher_only_their_own_students(exports, actor_of) -> None:  # type: ignore[no-untyped-def]
    alex, megan = await actor_of(ALEX), await actor_of(MEGAN)
    mine = await exports.widget(alex, WidgetRequest("adaptive_pe", None, None, None, None, NOW.date()), "csv",
                                now=NOW)
    school = await exports.widget(megan, WidgetRequest("adaptive_pe", None, None, None, None, NOW.date()), "csv",
                                  now=NOW)
    assert 0 < mine.student_count < school.student_count
    alex_file = await exports.open(mine.token)
    assert alex_file is not None and b"Riley Novak" not in alex_file.data
