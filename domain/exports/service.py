"""ExportService: make a file of what the caller may read, audit it, keep it until its link expires, hand it out.

- **What may be exported** is decided by the same code that decides what may be shown: a widget export runs the
  widget through ``WidgetService`` (the caller's classes or school; its student reads audited as for the card), with
  every table row instead of the card's ten; an incident report needs the incident's student to be readable by the
  caller; a class's fitness results need the class to be the caller's (or their school's, for nurses and admins).
  Refusals are audited and change nothing.
- **Every export is audited**: one ``export.create`` row (who, which file, how many students, what scope) in the
  same transaction as the stored file; its id is the file's *audit reference*, printed on PDFs. Every download (link
  or OneDrive upload) adds an ``export.download`` row.
- **A large export is confirmed first**: when a file would name more students than ``EXPORT_CONFIRM_STUDENTS``,
  nothing is made; the caller gets an ``ExportPending`` (how many students and rows, which fields) and only the same
  request with ``confirmed`` equal to that count makes the file (a count that changed meanwhile asks again). The
  confirmation is in the ``export.create`` row's reason; a cancel is audited as ``export.cancel``.
- **Delivery**: a signed link bound to the staff member (``links.ExportLinks``), expiring after
  ``EXPORT_LINK_TTL_HOURS``; the row is deleted once expired. The same token rides in a Teams file-consent card,
  and only that staff member's *Allow* uploads it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.audit import AUDIT_TABLE
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.exports.fitness_results import RefusedClass, class_fitness_rows, resolve_class
from domain.exports.incident_report import incident_exists, incident_pdf, load_incident
from domain.exports.links import ExportLinks
from domain.exports.pdf_base import Provenance
from domain.exports.pdf_widget import widget_pdf
from domain.exports.tables import ExportTable, csv_bytes, xlsx_bytes
from domain.models import ExportFile, Staff
from domain.widgets import WidgetRequest, WidgetResult, WidgetService

Format = Literal["csv", "xlsx", "pdf"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel", "pdf": "PDF"}


@dataclass(frozen=True, slots=True)
class ExportReady:
    """A stored export and how to fetch it (the bot shows it as a card and, in a 1:1 chat, a file-consent card)."""

    export_id: int
    title: str
    file_name: str
    fmt: str
    media_type: str
    size_bytes: int
    url: str
    token: str
    expires_at: datetime
    student_count: int
    rows: int | None
    audit_ref: str


@dataclass(frozen=True, slots=True)
class ExportPending:
    """A large export not made yet: what it would hold, for the caller to confirm (or cancel). ``again`` is the request
    to repeat with ``confirmed=student_count`` (``report``: "widget" or "fitness_results", and its parameters)."""

    title: str
    file_name: str
    fmt: str
    student_count: int
    rows: int | None
    fields: tuple[str, ...]
    threshold: int
    scope: str
    again: dict[str, str | int | None]


@dataclass(frozen=True, slots=True)
class ExportedFile:
    file_name: str
    media_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class _Made:
    kind: str
    title: str
    file_name: str
    fmt: str
    render: Callable[[Provenance], bytes]
    student_ids: tuple[int, ...]
    rows: int | None
    scope: str
    fields: tuple[str, ...] = ()
    again: dict[str, str | int | None] | None = None  # how to ask for it again (large exports are confirmed first)
    audit_students: bool = False  # the file reads student records no earlier audit row covers


class ExportService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], widgets: WidgetService, links: ExportLinks, *,
                 confirm_students: int = 100) -> None:
        self._sessions = sessions
        self._widgets = widgets
        self._links = links
        self._confirm_students = confirm_students

    # --- making files ------------------------------------------------------------------------------------------------
    async def widget(self, actor: Actor, request: WidgetRequest, fmt: str, *, now: datetime,
                     confirmed: int | None = None) -> ExportReady | ExportPending:
        """A widget's table (CSV, XLSX: every row) or its card (PDF: figures, chart, table), as of the card's day; an
        ``ExportPending`` instead when it names more students than the threshold and ``confirmed`` isn't their count."""
        fmt = _format(fmt)
        day = min(request.on, now.date())
        result = await self._widgets.run(
            actor, request.widget, now=datetime.combine(day, time(12), tzinfo=now.tzinfo),
            class_text=request.class_text, student_text=request.student_text, period_days=request.period_days,
            team_count=request.team_count, full_tables=True)
        if result.empty:
            raise InvalidInput(f"{result.empty} There is nothing to export.")
        table = _table_of(result)
        title = f"{result.title} — {result.scope}"

        def render(provenance: Provenance) -> bytes:
            if fmt == "pdf":
                return widget_pdf(result, provenance)
            about = _about(result, provenance)
            export = ExportTable(title, table[0], table[1], about)
            return csv_bytes(export) if fmt == "csv" else xlsx_bytes(export)

        fields = (("headline figures", "chart") if fmt == "pdf" and result.table is not None else ()) + table[0]
        again: dict[str, str | int | None] = {
            "report": "widget", "widget": request.widget, "class": request.class_text, "student": request.student_text,
            "period_days": request.period_days, "team_count": request.team_count, "on": day.isoformat(),
            "format": fmt}
        return await self._store(actor, _Made(
            kind=f"widget:{result.widget}", title=title, file_name=_file_name(result.title, result.scope, day, fmt),
            fmt=fmt, render=render, student_ids=tuple(sorted(set(result.student_ids))),
            rows=len(table[1]), scope=result.scope, fields=fields, again=again), confirmed)

    async def incident_report(self, actor: Actor, incident_id: int, *, now: datetime) -> ExportReady:
        """The one-page PDF incident report of an incident the caller may read (one student: never confirmed first)."""
        via = "export:incident_report"
        async with self._sessions() as session:
            record = await load_incident(session, actor, incident_id)
            exists = record is not None or await incident_exists(session, incident_id)
        if record is None:
            if not exists:
                raise NotFound(f"There is no incident #{incident_id}.")
            await audit.record_refusal(self._sessions, actor, action="incident.read", subject_type="incident",
                                       subject_ids=[incident_id], via=via, reason="student not in caller's scope")
            raise NotAllowed(f"Incident #{incident_id} is not about a student in your classes, so I can't export it.")
        return await self._made(actor, _Made(
            kind="incident_report", title=f"Incident report #{record.id}",
            file_name=f"incident-report-{record.id}-{record.occurred_at:%Y-%m-%d}.pdf", fmt="pdf",
            render=lambda provenance: incident_pdf(record, provenance),
            student_ids=(record.student_id,) if record.student_id else (), rows=None,
            scope=f"incident #{record.id}", audit_students=True))

    async def fitness_results(self, actor: Actor, class_text: str | None, *, now: datetime,
                              period_days: int | None = None, fmt: str = "csv",
                              confirmed: int | None = None) -> ExportReady | ExportPending:
        """A class's fitness-test results for the state report (CSV; XLSX on request)."""
        fmt = _format(fmt)
        if fmt == "pdf":
            raise InvalidInput("The state report's fitness results come as CSV or Excel, not PDF.")
        if period_days is not None and not 1 <= period_days <= 365:
            raise InvalidInput("period_days must be between 1 and 365.")
        via = "export:fitness_results"
        refused: RefusedClass | None = None
        async with unit_of_work(self._sessions) as session:
            try:
                cls = await resolve_class(session, actor, class_text, via=via)
            except RefusedClass as exc:
                refused = exc  # its audit row commits with this block
        if refused is not None:
            raise refused
        async with self._sessions() as session:
            found = await class_fitness_rows(session, actor, cls, now.date(), period_days or 365)
        if not found.rows:
            raise InvalidInput(f"No fitness tests were recorded for {cls.name} between {found.since:%b %-d, %Y} and "
                               f"{found.until:%b %-d, %Y}, so there is nothing to export.")
        title = f"Fitness results — {cls.name}"

        def render(provenance: Provenance) -> bytes:
            about = (("Class", cls.name), ("Period", f"{found.since:%b %-d, %Y} – {found.until:%b %-d, %Y}"),
                     ("Students tested", f"{len(found.student_ids)} of {found.enrolled} enrolled"),
                     *_provenance_rows(provenance))
            export = ExportTable(title, found.columns, found.rows, about)
            return csv_bytes(export) if fmt == "csv" else xlsx_bytes(export)

        return await self._store(actor, _Made(
            kind="fitness_results", title=title, file_name=_file_name("fitness results", cls.name, now.date(), fmt),
            fmt=fmt, render=render, student_ids=found.student_ids, rows=len(found.rows), scope=cls.name,
            fields=tuple(found.columns), audit_students=True,
            again={"report": "fitness_results", "class": class_text, "period_days": period_days, "format": fmt}),
            confirmed)

    async def cancel(self, actor: Actor, pending: ExportPending | dict[str, object], *, via: str) -> None:
        """The teacher cancelled a large export at its confirmation: nothing is made; the cancel is audited."""
        if isinstance(pending, ExportPending):
            what = f"{pending.fmt} {pending.file_name}; {pending.student_count} students; {pending.scope}"
        else:  # from a card: its own words, cut short
            what = " ".join(str(pending.get(k) or "") for k in ("format", "title", "students"))
        async with unit_of_work(self._sessions) as session:  # no file exists: one row with no subject id
            await session.execute(insert(AUDIT_TABLE).values(
                actor_staff_id=actor.staff_id, actor_tenant_id=actor.tenant_id,
                actor_aad_object_id=actor.aad_object_id, action="export.cancel", subject_type="export_file",
                subject_id=None, via=via[:60], allowed=True, reason=f"cancelled at confirmation: {what}"[:200],
                conversation_type=actor.conversation_type))

    # --- handing files out ----------------------------------------------------------------------------------------
    async def open(self, token: str) -> ExportedFile | None:
        """The file a genuine, unexpired link names, if it still exists for that staff member (a browser download)."""
        target = self._links.verify(token)
        if target is None:
            return None
        return await self._fetch(target.export_id, target.staff_id, via="link", conversation_type="link")

    async def for_upload(self, actor: Actor, token: str) -> ExportedFile | None:
        """The file for a Teams file-consent upload: only when the person who pressed *Allow* is the one it was made
        for (a card forwarded to or pressed by someone else uploads nothing, and the attempt is audited)."""
        target = self._links.verify(token)
        if target is None:
            return None
        if target.staff_id != actor.staff_id:
            await audit.record_refusal(self._sessions, actor, action="export.download", subject_type="export_file",
                                       subject_ids=[target.export_id], via="file_consent",
                                       reason="made for another staff member")
            return None
        return await self._fetch(target.export_id, actor.staff_id, via="file_consent",
                                 conversation_type=actor.conversation_type)

    # --- internals ----------------------------------------------------------------------------------------------------
    async def _store(self, actor: Actor, made: _Made, confirmed: int | None) -> ExportReady | ExportPending:
        count = len(made.student_ids)
        if count > self._confirm_students and confirmed != count:
            return ExportPending(made.title, made.file_name, made.fmt, count, made.rows, made.fields,
                                 self._confirm_students, made.scope, dict(made.again or {}))
        return await self._made(actor, made, confirmed=count > self._confirm_students)

    async def _made(self, actor: Actor, made: _Made, *, confirmed: bool = False) -> ExportReady:
        now = self._links.now()
        expires_at = now + self._links.ttl
        via = f"export:{made.kind}"[:60]
        async with unit_of_work(self._sessions) as session:
            await session.execute(delete(ExportFile).where(ExportFile.expires_at <= now))  # expired files go
            export_id = int(await session.scalar(text("SELECT nextval(pg_get_serial_sequence('export_files', 'id'))")))
            reason = (f"{made.fmt} {made.file_name}; {len(made.student_ids)} students; "
                      f"{'confirmed; ' if confirmed else ''}{made.scope}")[:200]
            audit_id = int(await session.scalar(insert(AUDIT_TABLE).values(
                actor_staff_id=actor.staff_id, actor_tenant_id=actor.tenant_id,
                actor_aad_object_id=actor.aad_object_id, action="export.create", subject_type="export_file",
                subject_id=export_id, via=via, allowed=True, reason=reason,
                conversation_type=actor.conversation_type).returning(AUDIT_TABLE.c.id)))
            if made.audit_students:
                await audit.record(session, actor, action="student.read", subject_type="student",
                                   subject_ids=list(made.student_ids), via=via, allowed=True)
            audit_ref = f"A-{audit_id}"
            # laying out a PDF is CPU work (a few hundred ms for several pages): off the event loop, so other turns
            # go on meanwhile
            data = await asyncio.to_thread(made.render, Provenance(actor.display_name, now.astimezone(_zone(actor)),
                                                                   audit_ref))
            await session.execute(insert(ExportFile).values(
                id=export_id, staff_id=actor.staff_id, kind=made.kind[:40], file_name=made.file_name,
                media_type=MEDIA_TYPES[made.fmt], data=data, student_count=len(made.student_ids),
                audit_id=audit_id, expires_at=expires_at))
        token = self._links.issue(export_id, actor.staff_id, expires_at)
        return ExportReady(export_id=export_id, title=made.title, file_name=made.file_name, fmt=made.fmt,
                           media_type=MEDIA_TYPES[made.fmt], size_bytes=len(data), url=self._links.url(token),
                           token=token, expires_at=expires_at, student_count=len(made.student_ids),
                           rows=None if made.fmt == "pdf" else made.rows,
                           audit_ref=audit_ref)

    async def _fetch(self, export_id: int, staff_id: int, *, via: str, conversation_type: str) -> ExportedFile | None:
        async with unit_of_work(self._sessions) as session:
            row = (await session.execute(
                select(ExportFile.file_name, ExportFile.media_type, ExportFile.data, Staff.tenant_id,
                       Staff.aad_object_id)
                .join(Staff, Staff.id == ExportFile.staff_id)
                .where(ExportFile.id == export_id, ExportFile.staff_id == staff_id, Staff.active.is_(True),
                       ExportFile.expires_at > func.now()))).first()
            if row is None:
                return None
            await session.execute(insert(AUDIT_TABLE).values(
                actor_staff_id=staff_id, actor_tenant_id=row.tenant_id or "", actor_aad_object_id=row.aad_object_id
                or "", action="export.download", subject_type="export_file", subject_id=export_id, via=via,
                allowed=True, conversation_type=conversation_type[:20]))
        return ExportedFile(row.file_name, row.media_type, bytes(row.data))


def _format(fmt: str) -> str:
    fmt = (fmt or "").strip().lower().lstrip(".")
    fmt = {"excel": "xlsx", "spreadsheet": "xlsx", "xls": "xlsx"}.get(fmt, fmt)
    if fmt not in MEDIA_TYPES:
        raise InvalidInput(f"Unknown export format '{fmt[:20]}'. Choose csv, xlsx or pdf.")
    return fmt


def _table_of(result: WidgetResult) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The widget's table (every row); a widget without one exports its headline figures."""
    if result.table is not None and result.table.rows:
        return result.table.columns, result.table.rows
    return ("Figure", "Value"), tuple((m.label, m.value) for m in result.metrics)


def _about(result: WidgetResult, provenance: Provenance) -> tuple[tuple[str, str], ...]:
    rows: list[tuple[str, str]] = [("Scope", result.scope)]
    if result.period:
        rows.append(("Period", result.period.label()))
    if result.as_of:
        rows.append(("Data as of", result.as_of.isoformat()))
    if result.table is not None and result.table.title:
        rows.append(("Table", result.table.title))
    rows.extend((m.label, m.value) for m in result.metrics)
    return (*rows, *_provenance_rows(provenance))


def _provenance_rows(provenance: Provenance) -> tuple[tuple[str, str], ...]:
    return (("Generated for", provenance.made_for), ("Generated at", provenance.made_at.isoformat(timespec="minutes")),
            ("Audit reference", provenance.audit_ref),
            ("Note", "Contains student records: keep confidential (FERPA); do not forward."))


def _file_name(title: str, scope: str, day: date, fmt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", f"{title} {scope}".lower()).strip("-")[:100] or "export"
    return f"{slug}-{day.isoformat()}.{fmt}"


def _zone(actor: Actor) -> tzinfo:
    try:
        return ZoneInfo(actor.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
