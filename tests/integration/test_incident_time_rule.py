"""One rule for when an incident may have happened: the chat proposal (log_incident) and the card's Save
(``validate_draft``) accept and refuse the same times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools.fakes.activities import ALEX, TENANT
from domain.errors import InvalidInput
from domain.identity import IdentityService
from domain.incidents import IncidentService, validate_draft
from domain.students import StudentService
from tools.base import ToolDeps
from tools.log_incident import log_incident

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Chicago"))


@dataclass(frozen=True)
class _IncidentServices:
    """What ``log_incident`` reads (``tools.base.IncidentReportAccess``)."""

    students: StudentService
    incidents: IncidentService


@pytest.mark.parametrize("offset", [timedelta(minutes=3), timedelta(minutes=10), timedelta(days=-29),
                                    timedelta(days=-31), timedelta(hours=-2)])
async def test_the_chat_proposal_and_the_card_apply_the_same_time_rule(demo_sessions: Any, offset: timedelta) -> None:
    actor = await IdentityService(demo_sessions).resolve(TENANT, ALEX)
    assert actor is not None
    services = _IncidentServices(students=StudentService(demo_sessions), incidents=IncidentService(demo_sessions))
    deps = ToolDeps(actor=actor, services=services, now=NOW)
    occurred = NOW + offset
    result = await log_incident({"student": "Jamie Ortiz", "description": "rolled her ankle", "severity": "minor",
                                 "incident_type": "injury", "activity": None, "location": None,
                                 "occurred_at": occurred.replace(tzinfo=None).isoformat(timespec="minutes"),
                                 "action_taken": None}, deps)
    draft = {"student_id": 1, "occurred_at": occurred, "location": "Gym", "activity": "basketball",
             "incident_type": "injury", "severity": "minor", "description": "rolled her ankle"}
    try:
        validate_draft(draft, NOW)
        card_accepts = True
    except InvalidInput as exc:
        card_accepts = "occurred_at" not in exc.field_errors
    chat_accepts = result.for_model.get("status") == "proposed"
    assert chat_accepts == card_accepts, (offset, result.for_model)
    assert card_accepts == (timedelta(days=-30) <= offset <= timedelta(minutes=5))
