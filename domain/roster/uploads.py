"""A roster export an admin sends in Teams: previewed as a dry run (what would change, the first errors), held until
the admin presses Apply, then imported exactly as ``python -m bot roster import`` does (PE scope). Owned by the
admin who sent it; applied once; audited."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.db import autocommit
from domain.errors import InvalidInput, NotAllowed
from domain.models import Role, RosterUpload
from domain.roster.report import ImportReport
from domain.roster.service import import_roster
from domain.settings import Settings

MAX_ROSTER_BYTES = 64 * 1024 * 1024
VIA = "card:roster_upload"
ADMINS_ONLY = "Only administrators can import a roster."


@dataclass(frozen=True, slots=True)
class RosterPreview:
    upload_id: int | None  # None when the file is invalid (nothing to apply)
    file_name: str
    report: ImportReport


def is_roster_file(file_name: str) -> bool:
    return PurePosixPath(file_name.replace("\\", "/")).suffix.lower() == ".zip"


class RosterUploads:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    @staticmethod
    def check_allowed(actor: Actor) -> None:
        if actor.role != Role.admin:
            raise NotAllowed(ADMINS_ONLY)

    async def preview(self, actor: Actor, file_name: str, data: bytes) -> RosterPreview:
        self.check_allowed(actor)
        if len(data) > MAX_ROSTER_BYTES:
            raise InvalidInput(f"That file is too large; the limit is {MAX_ROSTER_BYTES // (1024 * 1024)} MB.")
        name = PurePosixPath(file_name.replace("\\", "/")).name[:200]
        report = await self._run(name, data, dry_run=True)
        if report.errors:
            return RosterPreview(None, name, report)
        async with autocommit(self._sessions) as session:
            upload_id = await session.scalar(insert(RosterUpload).values(
                staff_id=actor.staff_id, file_name=name, content=data,
                content_hash=hashlib.sha256(data).hexdigest()).returning(RosterUpload.id))
        return RosterPreview(upload_id, name, report)

    async def apply(self, actor: Actor, upload_id: int) -> ImportReport:
        """Import the held file; each upload applies once (a second press says so and changes nothing)."""
        self.check_allowed(actor)
        async with autocommit(self._sessions) as session:
            claimed = (await session.execute(
                update(RosterUpload)
                .where(RosterUpload.id == upload_id, RosterUpload.staff_id == actor.staff_id,
                       RosterUpload.status == "pending")
                .values(status="applying", decided_at=datetime.now(UTC))
                .returning(RosterUpload.file_name, RosterUpload.content)
            )).first()
        if claimed is None:
            raise InvalidInput("That roster was already applied or cancelled.")
        file_name, data = claimed
        try:
            report = await self._run(file_name, bytes(data), dry_run=False)
        except BaseException:
            await self._set_status(upload_id, "pending")  # interrupted: rolled back, may be pressed again
            raise
        async with autocommit(self._sessions) as session:
            await session.execute(update(RosterUpload).where(RosterUpload.id == upload_id)
                                  .values(status="failed" if report.errors else "applied"))
            await audit.record(session, actor, action="roster.import", subject_type="roster_upload",
                               subject_ids=[upload_id], via=VIA, allowed=not report.errors,
                               reason=f"{report.format}: {len(report.errors)} error(s)" if report.errors
                               else report.format)
        return report

    async def cancel(self, actor: Actor, upload_id: int) -> None:
        self.check_allowed(actor)
        async with autocommit(self._sessions) as session:
            await session.execute(update(RosterUpload).where(
                RosterUpload.id == upload_id, RosterUpload.staff_id == actor.staff_id,
                RosterUpload.status == "pending").values(status="cancelled", decided_at=datetime.now(UTC)))

    async def _set_status(self, upload_id: int, status: str) -> None:
        async with autocommit(self._sessions) as session:
            await session.execute(update(RosterUpload).where(RosterUpload.id == upload_id).values(status=status))

    async def _run(self, file_name: str, data: bytes, *, dry_run: bool) -> ImportReport:
        with tempfile.TemporaryDirectory(prefix="faraday-roster-") as scratch:
            path = Path(scratch) / (PurePosixPath(file_name).stem or "roster")
            path = path.with_suffix(".zip")
            path.write_bytes(data)
            return await import_roster(self._sessions, self._settings, path, dry_run=dry_run, all_classes=False)
