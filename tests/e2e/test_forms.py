"""In the real Teams emulator: a teacher opens the incident form from the chat ("forms" → Incident report), submits
it with a server-side error (a date in the future: the client only checks required fields), sees the message next
to the field with her values kept, fixes it, saves, sees the confirmation card, and the incident is in the database
exactly once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from devtools.playground import Playground
from domain.db import make_engine, make_sessionmaker
from domain.models import Incident, Staff, Student
from domain.seed.facts import TIME_ZONE
from tests.support.playground_driver import drive

DESCRIPTION = "Rolled her ankle landing a layup in the forms end-to-end test."


async def _saved_rows(url: str) -> list[tuple[Incident, str, str]]:
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as s:
            rows = await s.execute(
                select(Incident, Student.first_name + " " + Student.last_name, Staff.display_name)
                .join(Student, Student.id == Incident.student_id)
                .join(Staff, Staff.id == Incident.reporter_id)
                .where(Incident.description == DESCRIPTION)
            )
            return [(i, student, reporter) for i, student, reporter in rows.all()]
    finally:
        await engine.dispose()


def test_the_incident_form_shows_a_server_error_then_saves_once(playground: Playground, e2e_db_url: str,
                                                                tmp_path) -> None:  # type: ignore[no-untyped-def]
    today = datetime.now(ZoneInfo(TIME_ZONE)).date()
    future, valid = (today + timedelta(days=3)).isoformat(), (today - timedelta(days=1)).isoformat()
    result = drive(
        playground,
        {
            "screenshotOnFailure": str(tmp_path / "failure.png"),
            "steps": [
                {"send": "forms"},
                {"waitForCard": {"contains": "Pick a form", "new": True}},
                {"click": "Incident report"},
                {"waitForCard": {"contains": "What happened", "timeoutMs": 20000}},
                {"fill": {"label": "Student", "value": "Jamie Ortiz (grade 6)"}},
                {"fill": {"label": "Date", "value": future}},
                {"fill": {"label": "Location", "value": "Main Gym"}},
                {"fill": {"label": "Activity", "value": "Basketball"}},
                {"fill": {"label": "Type", "value": "Injury"}},
                {"fill": {"label": "Minor", "exact": True, "value": "true"}},
                {"fill": {"label": "What happened", "value": DESCRIPTION}},
                {"screenshot": str(tmp_path / "filled.png")},
                {"click": "Save"},
                {"waitForCard": {"contains": "can't be in the future", "timeoutMs": 20000}},
                {"screenshot": str(tmp_path / "error.png")},
                {"fill": {"label": "Date", "value": valid}},
                {"click": "Save"},
                {"waitForCard": {"contains": "Reported by", "timeoutMs": 20000}},
                {"screenshot": str(tmp_path / "saved.png")},
            ],
        },
    )
    assert result["ok"], result
    error_cards = [c for c in result["cards"] if "can't be in the future" in c]
    assert not error_cards, "the confirmation replaced the form in place"  # universal action: same card updated
    saved = [c for c in result["cards"] if "Reported by" in c]
    assert saved and "Jamie Ortiz" in saved[-1] and "Alex Wilber" in saved[-1] and "Minor" in saved[-1]

    rows = asyncio.run(_saved_rows(e2e_db_url))
    assert len(rows) == 1, rows
    incident, student, reporter = rows[0]
    assert (student, reporter) == ("Jamie Ortiz", "Alex Wilber")
    assert (incident.location, incident.activity, incident.incident_type) == ("Main Gym", "Basketball", "injury")
    assert incident.severity.value == "minor"
    assert incident.occurred_at.astimezone(ZoneInfo(TIME_ZONE)).date().isoformat() == valid
    assert incident.idempotency_key
