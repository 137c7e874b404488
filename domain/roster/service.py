"""One roster import, start to end: load (folder or .zip) → narrow to PE scope → sync → report."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.db import autocommit
from domain.errors import NotAllowed
from domain.models import Role, RosterImport
from domain.roster.conflicts import conflicts
from domain.roster.graph import GraphEducation, read_graph_roster
from domain.roster.load import load
from domain.roster.model import Roster, RosterError, RosterInvalid
from domain.roster.report import ImportReport
from domain.roster.scope import narrow
from domain.roster.sync import Progress, SyncOptions, sync
from domain.settings import Settings

ALL_CLASSES = "all classes"


def scope_label(settings: Settings, all_classes: bool) -> str:
    return ALL_CLASSES if all_classes else f"PE classes (pattern {settings.roster_pe_pattern})"


async def import_roster(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, path: Path, *, dry_run: bool,
    all_classes: bool, progress: Progress | None = None,
) -> ImportReport:
    """The report of importing ``path``; on any error the report carries them all and nothing was written."""
    try:
        roster = load(path)
    except RosterInvalid as exc:
        return ImportReport(format=exc.format_name, dry_run=dry_run, scope=scope_label(settings, all_classes),
                            errors=exc.errors)
    return await apply_roster(sessions, settings, roster, source_name=path.name, dry_run=dry_run,
                              all_classes=all_classes, progress=progress)


async def apply_roster(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, roster: Roster, *, source_name: str,
    dry_run: bool, all_classes: bool, progress: Progress | None = None,
) -> ImportReport:
    """Narrow a parsed roster (CSV or Graph) to scope and sync it."""
    label = scope_label(settings, all_classes)
    options = SyncOptions(district_name=settings.roster_district_name, time_zone=settings.default_time_zone,
                          source_name=source_name, scope=label)
    scoped = narrow(roster, None if all_classes else settings.roster_pe_pattern)
    clashes = conflicts(scoped)
    if clashes:
        return ImportReport(format=roster.format, dry_run=dry_run, scope=label, errors=clashes)
    try:
        return await sync(sessions, scoped, options, dry_run=dry_run, progress=progress)
    except RosterInvalid as exc:
        return ImportReport(format=roster.format, dry_run=dry_run, scope=label, errors=exc.errors)


class RosterStatus:
    """``roster status`` for admins in Teams: the last import or sync, its source and counts."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def summary(self, actor: Actor) -> list[str]:
        """Lines of plain text (the caller formats them)."""
        if actor.role != Role.admin:
            raise NotAllowed("Only administrators can see the roster status.")
        last = await last_import(self._sessions)
        if last is None:
            return ["No roster has been imported yet (python -m bot roster import PATH)."]
        lines = [f"Last roster import: {last.at:%Y-%m-%d %H:%M} UTC, {last.format} from {last.source}.",
                 f"Scope: {last.scope}."]
        for entity, counts in last.counts.items():
            lines.append(f"{entity}: {counts['created']} created, {counts['updated']} updated, "
                         f"{counts['deactivated']} deactivated, {counts['unchanged']} unchanged")
        return lines


async def sync_graph(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, *, dry_run: bool, all_classes: bool,
    progress: Progress | None = None, client: GraphEducation | None = None,
) -> ImportReport:
    """The Graph education roster, through the same scope, diff, apply and report as a CSV import."""
    if client is None and not settings.graph_configured:
        return ImportReport(format="graph", dry_run=dry_run, scope=scope_label(settings, all_classes), errors=[
            RosterError("settings", None, "Graph is not configured: set MS_TENANT_ID, MS_CLIENT_ID and a secret or "
                        "certificate (application permission EduRoster.Read.All)")])
    try:
        roster = await read_graph_roster(settings, pe_pattern=None if all_classes else settings.roster_pe_pattern,
                                         progress=progress, client=client)
    except RosterInvalid as exc:
        return ImportReport(format="graph", dry_run=dry_run, scope=scope_label(settings, all_classes),
                            errors=exc.errors)
    source = urlsplit(settings.graph_base_url).netloc or "graph"
    return await apply_roster(sessions, settings, roster, source_name=source, dry_run=dry_run,
                              all_classes=all_classes, progress=progress)


async def last_import(sessions: async_sessionmaker[AsyncSession]) -> RosterImport | None:
    """The most recent applied import or sync (for ``roster status``)."""
    async with autocommit(sessions) as session:
        return (await session.execute(select(RosterImport).order_by(RosterImport.id.desc()).limit(1))).scalar()
