"""The profile card's "Recent incidents" button: a student's last incidents, for roles allowed to read them.

Scope (which students) and the audit row are the service's: ``IncidentService.recent_for_student`` refuses, and
audits, a student outside the caller's classes or school. Which roles may ask at all is ``INCIDENT_HISTORY_ROLES``:
today every staff role (teachers and coaches for their own students, nurses and admins school-wide, matching
tests/security/test_least_privilege.py); narrow it here and the button disappears for the others."""

from __future__ import annotations

from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.student_incidents import student_incidents_card
from domain.actor import Actor
from domain.errors import NotAllowed
from domain.models import Role
from tools.base import ToolDeps

VIA = "card:student"
INCIDENT_HISTORY_ROLES = frozenset({Role.teacher, Role.coach, Role.nurse, Role.admin})
RECENT_LIMIT = 5
ROSTER_LIMIT = 10_000


def may_view_incident_history(actor: Actor) -> bool:
    return actor.role in INCIDENT_HISTORY_ROLES


async def recent_incidents(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    student = str(value.get("student_id") or "")
    if not student.isdigit():
        return CardOutcome(text="That button isn't valid any more.")
    if not may_view_incident_history(deps.actor):
        raise NotAllowed("Your role can't view incident history.")
    student_id = int(student)
    items = await deps.services.incidents.recent_for_student(deps.actor, student_id, limit=RECENT_LIMIT, via=VIA)
    name = await student_name(deps, student_id) or "student"
    return CardOutcome(cards=[student_incidents_card(student_id, name, items, deps.actor.time_zone)])


async def student_name(deps: ToolDeps, student_id: int) -> str | None:
    """The display name of a student on the caller's roster, or None (outside the caller's scope)."""
    roster = await deps.services.students.roster(deps.actor, limit=ROSTER_LIMIT)
    return next((name for sid, name, _ in roster if sid == student_id), None)
