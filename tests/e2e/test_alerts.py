"""A teacher's serious incident reaches an admin's Teams chat in the Agents Playground, and Acknowledge works.

The Playground shows only its current user's chat, so it runs as Megan Bowen (admin); her page load stores her
conversation reference. The teacher (Alex Wilber) logs the incident through the same service the card's Save
uses, against the bot's database; the bot's relay (polling) delivers the card to Megan's chat.
Needs the alert wiring in bot/app.py (hook, relay in cleanup_ctx, ACTIONS entries).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from domain.alerts.outbox import AlertOutbox
from domain.db import make_engine, make_sessionmaker
from domain.identity import IdentityService
from domain.incidents import IncidentService, validate_draft
from domain.models import Student
from domain.seed.facts import DEMO
from scripts.playground import Playground
from tests.e2e.conftest import _free_port
from tests.e2e.playground import drive


@pytest.fixture(scope="module")
def megan_playground(bot_endpoint: str) -> Iterator[Playground]:
    with Playground(bot_endpoint, port=_free_port(), user="Megan Bowen") as pg:
        yield pg


def log_serious_incident(db_url: str) -> None:
    async def run() -> None:
        engine = make_engine(db_url, pool_size=2)
        sessions = make_sessionmaker(engine)
        try:
            alex = await IdentityService(sessions).by_email(DEMO.alex.email)
            assert alex is not None
            async with sessions() as s:
                student_id = (await s.execute(select(Student.id).where(
                    Student.student_number == DEMO.jamie_ortiz.student_number))).scalar_one()
            now = datetime.now(UTC)
            draft = validate_draft({"student_id": student_id, "occurred_at": now.isoformat(), "location": "Gym",
                                    "activity": "Basketball", "incident_type": "head_injury", "severity": "serious",
                                    "description": "Collided with another player, hit her head on the floor.",
                                    "action_taken": "Kept still, nurse called"}, now)
            await IncidentService(sessions, after_create=[AlertOutbox()]).create(alex, draft, f"e2e-{time.time()}",
                                                                                 via="test:e2e")
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_a_serious_incident_alerts_the_admin_who_acknowledges_it(megan_playground: Playground, e2e_db_url: str,
                                                                  tmp_path) -> None:
    first = drive(megan_playground, {"steps": [{"waitForText": "I'm Faraday"}]})
    assert first["ok"], first  # Megan's chat is known to the bot now
    teacher = threading.Timer(3.0, log_serious_incident, args=(e2e_db_url,))
    teacher.start()
    try:
        result = drive(megan_playground, {
            "screenshotOnFailure": str(tmp_path / "failure.png"),
            "steps": [
                {"waitForCard": {"contains": "Serious incident", "timeoutMs": 30000}},
                {"screenshot": str(tmp_path / "alert.png")},
                {"click": "Acknowledge"},
                {"waitForCard": {"contains": "Acknowledged by Megan Bowen", "timeoutMs": 20000}},
            ],
        })
    finally:
        teacher.join()
    assert result["ok"], result
    alert = [c for c in result["cards"] if "Serious incident" in c]
    assert alert and "Jamie Ortiz" in alert[-1] and "Alex Wilber" in alert[-1]
