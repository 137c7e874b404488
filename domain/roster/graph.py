"""The roster from the Microsoft Graph education API (v1.0), application permission ``EduRoster.Read.All``.

Reads ``/education/schools``, ``/education/schools/{id}/classes``, ``/education/classes/{id}/members`` and
``/education/users`` through the shared Graph client (``domain.graph_client``: msal client credentials,
``@odata.nextLink``, ``Retry-After`` on 429/503 and retries of 502/504 within a per-call budget), and builds the
same normalised ``Roster`` the CSV parsers build. Source ids are Graph object ids. In PE scope only the members of
PE classes are fetched; students and teachers come in as members of a class (in every scope). Tokens and bodies are
never logged."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

from domain.calendar.graph import GraphConfig
from domain.graph_client import RETRY_BUDGET_S, GraphClient, GraphError, graph_config
from domain.roster.model import (
    ClassRecord,
    GuardianRecord,
    Roster,
    RosterError,
    RosterInvalid,
    SchoolRecord,
    StaffRecord,
    StudentRecord,
    parse_grade,
    parse_sex,
)
from domain.roster.scope import in_pe_scope
from domain.roster.sync import Progress
from domain.settings import Settings

log = logging.getLogger(__name__)
GUARDIAN_RELATIONSHIPS = {"parent", "guardian", "relative"}
__all__ = ["GraphEducation", "graph_config", "read_graph_roster"]
PERMISSION = "grant the app the EduRoster.Read.All application permission and admin consent"


class GraphEducation(GraphClient):
    """The shared Graph client (``domain.graph_client``), its failures as the roster's ``RosterInvalid``."""

    def __init__(self, config: GraphConfig, *, retry_budget_s: float = RETRY_BUDGET_S,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        super().__init__(config, permission=PERMISSION, retry_budget_s=retry_budget_s, sleep=sleep)

    async def pages(self, path: str, params: dict[str, str] | None = None) -> AsyncIterator[dict[str, Any]]:
        try:
            async for item in super().pages(path, params):
                yield item
        except GraphError as exc:
            raise RosterInvalid("graph", [RosterError(exc.resource, None, exc.message)]) from None


async def read_graph_roster(settings: Settings, *, pe_pattern: str | None, progress: Progress | None = None,
                            client: GraphEducation | None = None) -> Roster:
    """The tenant's education roster; only PE classes' members when ``pe_pattern`` is set (None: all classes)."""
    graph = client or GraphEducation(graph_config(settings))
    step = progress or (lambda name, done, total: None)
    roster = Roster(format="graph")
    compiled = re.compile(pe_pattern, re.IGNORECASE) if pe_pattern else None
    try:
        users = {u["id"]: u async for u in graph.pages("/education/users")}
        schools = [s async for s in graph.pages("/education/schools")]
        for school in schools:
            roster.schools[school["id"]] = SchoolRecord(
                school["id"], school.get("displayName") or school["id"],
                parse_grade(school.get("lowestGrade") or ""), parse_grade(school.get("highestGrade") or ""))
        classes: list[tuple[str, dict[str, Any]]] = []
        for school in schools:
            async for item in graph.pages(f"/education/schools/{school['id']}/classes"):
                classes.append((school["id"], item))
        for done, (school_id, item) in enumerate(classes):
            step("graph classes", done, len(classes))
            course = item.get("course") or {}
            record = ClassRecord(
                item["id"], school_id, item.get("displayName") or item.get("externalName") or item["id"],
                subject=course.get("subject") or "", course_title=course.get("displayName") or "",
                grade=parse_grade(item.get("grade") or ""), period="", location="",
            )
            if compiled and not in_pe_scope(compiled, record.subject, record.course_title, record.title,
                                            item.get("externalName") or ""):
                continue
            if item["id"] in roster.classes:
                continue  # a class shared by two schools: the first one keeps it
            roster.classes[item["id"]] = record
            async for member in graph.pages(f"/education/classes/{item['id']}/members"):
                user = users.get(member["id"], member)
                role = (user.get("primaryRole") or "").lower()
                if role == "student":
                    _student(roster, user, school_id)
                    roster.enrollments.add((item["id"], user["id"]))
                elif role in ("teacher", "faculty"):
                    _staff(roster, user, school_id)
                    if user["id"] not in record.teacher_source_ids:
                        record.teacher_source_ids.append(user["id"])
        step("graph classes", len(classes), len(classes))
    finally:
        if client is None:
            await graph.close()
    return roster


def _student(roster: Roster, user: dict[str, Any], school_id: str) -> None:
    if user["id"] in roster.students:
        return
    info = user.get("student") or {}
    born: date | None = None
    try:
        born = date.fromisoformat(info["birthDate"]) if info.get("birthDate") else None
    except ValueError:
        born = None
    roster.students[user["id"]] = StudentRecord(
        user["id"], school_id, user.get("givenName") or user.get("displayName") or user["id"],
        user.get("surname") or "", student_number=info.get("studentNumber") or info.get("externalId") or user["id"],
        grade=parse_grade(info.get("grade") or ""), date_of_birth=born, sex=parse_sex(info.get("gender") or ""),
    )
    for position, contact in enumerate(user.get("relatedContacts") or []):
        relationship = (contact.get("relationship") or "").lower()
        if relationship not in GUARDIAN_RELATIONSHIPS:
            continue
        key = contact.get("id") or contact.get("emailAddress") or f"contact-{position}"
        roster.guardians[(user["id"], key)] = GuardianRecord(
            key, user["id"], contact.get("displayName") or "Guardian", relationship,
            phone=contact.get("mobilePhone") or None, email=contact.get("emailAddress") or None,
        )


def _staff(roster: Roster, user: dict[str, Any], school_id: str) -> None:
    if user["id"] in roster.staff:
        return
    upn = user.get("userPrincipalName") or None
    roster.staff[user["id"]] = StaffRecord(
        user["id"], school_id, user.get("givenName") or user.get("displayName") or user["id"],
        user.get("surname") or "",
        role="teacher", email=(user.get("mail") or upn), username=upn,
    )
