"""The roster from the Microsoft Graph education API (v1.0), application permission ``EduRoster.Read.All``.

Reads ``/education/schools``, ``/education/schools/{id}/classes``, ``/education/classes/{id}/members`` and
``/education/users`` with msal client credentials (the calendar's ``TokenSource``: one msal app, never blocking the
loop), follows ``@odata.nextLink``, honours ``Retry-After`` on 429/503 (and retries 502/504) within a per-call
budget, and builds the same normalised ``Roster`` the CSV parsers build. Source ids are Graph object ids. In PE
scope only the members of PE classes are fetched; students and teachers come in as members of a class (in every
scope). Tokens and bodies are never logged."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from domain.calendar.backend import CalendarUnavailable
from domain.calendar.graph import GraphConfig, TokenSource
from domain.roster.model import (
    ClassRecord,
    GuardianRecord,
    Roster,
    RosterError,
    RosterInvalid,
    SchoolRecord,
    StaffRecord,
    StudentRecord,
    Term,
    parse_grade,
    parse_sex,
)
from domain.roster.scope import in_pe_scope
from domain.roster.sync import Progress
from domain.settings import Settings

log = logging.getLogger(__name__)
RETRY_STATUSES = {429, 502, 503, 504}
MAX_ATTEMPTS = 6
RETRY_BUDGET_S = 120.0  # a batch sync may wait; the throttled caller is told when it gives up
GUARDIAN_RELATIONSHIPS = {"parent", "guardian", "relative"}
PERMISSION = ("Graph refused the request ({status}): grant the app the EduRoster.Read.All application permission "
              "and admin consent")


def graph_config(settings: Settings) -> GraphConfig:
    return GraphConfig(
        tenant_id=settings.ms_tenant_id, client_id=settings.ms_client_id,
        client_secret=settings.ms_client_secret.get_secret_value(),
        certificate_path=settings.ms_client_certificate_path,
        certificate_thumbprint=settings.ms_client_certificate_thumbprint,
        authority_host=settings.ms_authority_host, base_url=settings.graph_base_url.rstrip("/"),
        ca_file=settings.graph_ca_file, timeout_s=settings.graph_timeout_s,
    )


class GraphEducation:
    def __init__(self, config: GraphConfig, *, retry_budget_s: float = RETRY_BUDGET_S,
                 sleep: Any = asyncio.sleep) -> None:
        self._config = config
        self._tokens = TokenSource(config)
        self._budget = retry_budget_s
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def pages(self, path: str, params: dict[str, str] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every item of a collection, page after page (``@odata.nextLink`` is followed as given, same host only)."""
        url: str | None = f"{self._config.base_url}{path}"
        query = params
        base_host = urlsplit(self._config.base_url).netloc
        while url:
            body = await self._get(url, query, resource=path)
            for item in body.get("value", []):
                yield item
            url, query = body.get("@odata.nextLink"), None
            if url and urlsplit(url).netloc != base_host:
                raise RosterInvalid("graph", [RosterError(path, None, "a nextLink pointed at another host")])

    async def _get(self, url: str, params: dict[str, str] | None, *, resource: str) -> dict[str, Any]:
        session = self._session or self._open()
        waited = 0.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                token = await self._tokens.token()
            except CalendarUnavailable as exc:
                raise RosterInvalid("graph", [RosterError("sign-in", None, str(exc))]) from None
            try:
                self.requests += 1
                async with session.get(url, params=params, headers={"Authorization": f"Bearer {token}"}) as response:
                    if response.status == 200:
                        return dict(await response.json())
                    status, retry_after = response.status, _seconds(response.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, retry_after = 0, None
                log.info("graph call failed", extra={"resource": resource, "error": type(exc).__name__})
            if status in (401, 403):
                raise RosterInvalid("graph", [RosterError(resource, None, PERMISSION.format(status=status))])
            if status and status not in RETRY_STATUSES:
                raise RosterInvalid("graph", [RosterError(resource, None, f"Graph answered {status}")])
            pause = retry_after if retry_after is not None else min(2.0 ** attempt, 30.0)
            if attempt == MAX_ATTEMPTS or waited + pause > self._budget:
                break
            log.info("graph throttled, retrying", extra={"resource": resource, "status": status, "pause_s": pause})
            await self._sleep(pause)
            waited += pause
        raise RosterInvalid("graph", [RosterError(resource, None, "Graph stayed busy or unreachable (throttled or "
                                                  "5xx after retries); nothing was written, try again later")])

    def _open(self) -> aiohttp.ClientSession:
        context = ssl.create_default_context(cafile=self._config.ca_file or None)
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self._config.timeout_s * 4),
            connector=aiohttp.TCPConnector(ssl=context),
        )
        return self._session


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


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
                grade=parse_grade(item.get("grade") or ""), period="", location="", term=_term(item.get("term")),
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


def _term(value: Any) -> Term | None:
    """A class's ``term`` (educationTerm: displayName, startDate, endDate as ISO dates); None when incomplete."""
    if not isinstance(value, dict):
        return None
    try:
        starts, ends = date.fromisoformat(str(value.get("startDate"))), date.fromisoformat(str(value.get("endDate")))
    except ValueError:
        return None
    if ends < starts:
        return None
    name = " ".join(str(value.get("displayName") or value.get("externalId") or "term").split())[:120]
    return Term(name, starts, ends)
