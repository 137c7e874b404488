"""SharePoint document library folders in the knowledge base: an admin approves a folder, and every PDF, Word,
markdown and text file in it (subfolders included) goes through the same reading and ingestion path as a file an
admin sends (``knowledge.parsers.isolated``: a child process with a time and memory limit; then ``ingest_document``),
without the preview card. Graph application permission ``Sites.Selected``, granted on that one site.

A sync reads the drive's delta query (``/drives/{id}/root/delta``; SharePoint offers delta on a library's root only)
from the delta link the last complete sync stored, through the shared Graph client (``domain.graph_client``: pages by
``@odata.nextLink``, ``Retry-After`` on 429/503). Only what changed comes back, and of that only files whose parent is
the approved folder or a folder inside it (tracked by id, as Graph advises: delta items carry no path) are read:

- a new or changed file (its content hash differs from the one stored) is downloaded, read and ingested in one
  transaction with its original (``knowledge.originals``, origin ``sharepoint``) — an unchanged one is not
  downloaded at all;
- a deleted file, or one moved out of the folder, is retired: its document, chunks and vectors go in one transaction;
- a file that cannot be read (damaged, encrypted, a scan, too large, an unsupported type, a name another source
  holds) is reported by name with the reason and changes nothing: its previous version, if any, stays searchable.

The new delta link is stored only when the sync finished without a Graph failure (throttled past the budget, a
download that failed), so the next sync sees those changes again; already-ingested files are then unchanged and skipped.
A delta link Graph no longer honours (410) starts a full enumeration, after which stored files it did not list are
retired. Two syncs of one folder never overlap (a transaction-level advisory lock).

Audited: each document a sync adds, replaces or retires gets its ``knowledge.document.add`` / ``.remove`` row in the
same transaction as the change, and each sync a ``knowledge.sharepoint.sync`` row (the folder, the counts, no file
names) — with the admin who asked in Teams as the actor, or, for the schedule and the command line, the process
(``audit.record_unattended``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotAllowed
from domain.graph_client import DeltaGone, GraphClient, GraphError, TooLarge
from domain.models import KnowledgeSharePointFolder, KnowledgeSharePointItem, Role
from knowledge import document_store
from knowledge.documents import document_from_parsed, metadata_problems, slugify
from knowledge.embedders import Embedder
from knowledge.ingest import IngestReport, finish_ingest, ingest_document
from knowledge.metadata import guess
from knowledge.originals import keep_original, retire_originals
from knowledge.parsed import DocumentError
from knowledge.parsers import Limits, check_size, file_format
from knowledge.parsers.isolated import parse_isolated

log = logging.getLogger(__name__)
SOURCE = "sharepoint"
PERMISSION = ("grant the app the Sites.Selected application permission (admin consent) and read access to this "
              "site (POST /sites/{site-id}/permissions)")
ADMINS_ONLY = "Only administrators can connect SharePoint folders to the knowledge base."
LOCK_KEY = 0x5350  # advisory lock namespace: "SP"


@dataclass(slots=True)
class SyncReport:
    folder: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)  # "file name: reason"
    failed: str | None = None  # a Graph failure: the sync stopped and will resume from the same point
    full: bool = False  # a full enumeration (first sync, or Graph expired the delta link)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.failed:
            return f"{self.folder}: the sync stopped: {self.failed}"
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.retired)} retired",
                 f"{self.unchanged} unchanged"]
        text_out = f"{self.folder}: " + ", ".join(parts)
        for name in self.added + self.updated:
            text_out += f"\n  + {name}"
        for name in self.retired:
            text_out += f"\n  - {name}"
        return text_out + "".join(f"\nnot read: {e}" for e in self.errors)


@dataclass(frozen=True, slots=True)
class Trigger:
    """Who started a sync, for its audit rows: an admin in Teams (``actor``), else the process named by ``via``."""

    actor: Actor | None = None
    via: str = "cli"

    async def audit(self, session: AsyncSession, *, action: str, subject_type: str, subject_ids: list[int],
                    reason: str | None = None) -> None:
        via = f"sharepoint:{self.via}"[:60]
        if self.actor is not None:
            await audit.record(session, self.actor, action=action, subject_type=subject_type,
                               subject_ids=subject_ids, via=via, allowed=True, reason=reason)
        else:
            await audit.record_unattended(session, f"faraday:{self.via}", action=action, subject_type=subject_type,
                                          subject_ids=subject_ids, via=via, reason=reason)


@dataclass(frozen=True, slots=True)
class Change:
    item: dict[str, Any]
    in_scope: bool


class SharePointSync:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], embedder: Embedder, graph: GraphClient, *,
                 limits: Limits | None = None, parse_timeout_s: float = 60.0) -> None:
        self._sessions = sessions
        self._embedder = embedder
        self._graph = graph
        self._limits = limits or Limits()
        self._timeout = parse_timeout_s

    async def check_allowed(self, actor: Actor, *, action: str, via: str) -> None:
        """Raise ``NotAllowed`` (audited) unless the caller is an admin — before Graph is asked anything."""
        if actor.role != Role.admin:
            await audit.record_refusal(self._sessions, actor, action=action, subject_type="staff",
                                       subject_ids=[actor.staff_id], via=f"sharepoint:{via}"[:60],
                                       reason="admins only")
            raise NotAllowed(ADMINS_ONLY)

    # --- approving a folder ------------------------------------------------------------------------------------
    async def approve(self, site: str, folder_path: str, *, actor: Actor | None = None, via: str = "cli",
                      overrides: dict[str, str] | None = None) -> int:
        """Resolve ``site`` (``host/sites/name`` or a URL) and ``folder_path`` (inside the site's default library, or
        starting with a library's name) through Graph and record the folder as approved; returns its id. An admin in
        Teams (``actor``) is checked; the approval is audited (the command line as the process)."""
        if actor is not None:
            await self.check_allowed(actor, action="knowledge.sharepoint.approve", via=via)
        problems = metadata_problems(overrides or {})
        if problems:
            raise InvalidInput("; ".join(problems.values()) + ". Nothing was changed.")
        site_label, site_path = _site_path(site)
        try:
            site_id = str((await self._graph.get(site_path))["id"])
            drive_id, inner = await self._library(site_id, folder_path)
            folder = await self._graph.get(f"/drives/{quote(drive_id)}/root" +
                                           (f":/{quote(inner)}" if inner else ""))
        except GraphError as exc:
            what = "site" if exc.resource == site_path else "folder"
            if exc.status == 404:
                raise InvalidInput(f"SharePoint {what} not found: {site_label if what == 'site' else folder_path}. "
                                   "Nothing was changed.") from None
            raise InvalidInput(f"SharePoint could not be read: {exc.message}. Nothing was changed.") from None
        if "folder" not in folder and "root" not in folder:
            raise InvalidInput(f"{folder_path} is a file, not a folder. Nothing was changed.")
        values = {"site": site_label[:300], "folder_path": folder_path[:400], "site_id": site_id,
                  "drive_id": drive_id, "folder_item_id": str(folder["id"]),
                  "approved_by": actor.staff_id if actor else None, "overrides": overrides or {}}
        async with unit_of_work(self._sessions) as session:
            folder_id = (await session.execute(
                insert(KnowledgeSharePointFolder).values(**values)
                .on_conflict_do_update(constraint="uq_knowledge_sharepoint_folders_drive_id",
                                       set_={"site": values["site"], "folder_path": values["folder_path"],
                                             "approved_by": values["approved_by"],
                                             "overrides": values["overrides"]})
                .returning(KnowledgeSharePointFolder.id))).scalar_one()
            await Trigger(actor, via).audit(session, action="knowledge.sharepoint.approve",
                                            subject_type="knowledge_sharepoint_folder", subject_ids=[folder_id])
        return int(folder_id)

    async def _library(self, site_id: str, folder_path: str) -> tuple[str, str]:
        """(drive id, path inside it): the library named by the path's first part, else the site's default one."""
        parts = [p for p in folder_path.replace("\\", "/").split("/") if p.strip()]
        if parts:
            async for drive in self._graph.pages(f"/sites/{quote(site_id, safe=',')}/drives"):
                if str(drive.get("name", "")).lower() == parts[0].lower():
                    return str(drive["id"]), "/".join(parts[1:])
        drive = await self._graph.get(f"/sites/{quote(site_id, safe=',')}/drive")
        return str(drive["id"]), "/".join(parts)

    async def folders(self) -> list[KnowledgeSharePointFolder]:
        async with self._sessions() as session:
            return list((await session.execute(
                select(KnowledgeSharePointFolder).order_by(KnowledgeSharePointFolder.id))).scalars())

    # --- syncing -------------------------------------------------------------------------------------------------
    async def sync_all(self, *, actor: Actor | None = None, via: str = "cli") -> list[SyncReport]:
        return [await self.sync(folder.id, actor=actor, via=via) for folder in await self.folders()]

    async def sync(self, folder_id: int, *, actor: Actor | None = None, via: str = "cli") -> SyncReport:
        """Sync one approved folder. ``actor``: the admin who asked (checked by the caller: ``check_allowed``);
        None for the schedule and the command line (``via`` names which)."""
        trigger = Trigger(actor, via)
        async with self._sessions() as lock, lock.begin():  # held for the whole sync: one sync of a folder at a time
            if not (await lock.execute(text("SELECT pg_try_advisory_xact_lock(:ns, :id)"),
                                       {"ns": LOCK_KEY, "id": folder_id})).scalar_one():
                return SyncReport(folder=str(folder_id), failed="another sync of this folder is running")
            folder = await lock.get(KnowledgeSharePointFolder, folder_id)
            if folder is None:
                raise InvalidInput(f"No approved SharePoint folder has id {folder_id}.")
            report = await self._sync(folder, trigger)
            await lock.execute(
                update(KnowledgeSharePointFolder).where(KnowledgeSharePointFolder.id == folder_id)
                .values(last_synced_at=func.now(), last_report=report.as_dict()))
            await trigger.audit(lock, action="knowledge.sharepoint.sync", subject_type="knowledge_sharepoint_folder",
                                subject_ids=[folder_id], reason=_counts(report))
        log.info("sharepoint sync", extra={"folder_id": folder_id, "added": len(report.added),
                                           "updated": len(report.updated), "retired": len(report.retired),
                                           "errors": len(report.errors), "failed": bool(report.failed)})
        return report

    async def _sync(self, folder: KnowledgeSharePointFolder, trigger: Trigger) -> SyncReport:
        report = SyncReport(folder=f"{folder.site}/{folder.folder_path}".rstrip("/"))
        start = folder.delta_link or f"/drives/{quote(folder.drive_id)}/root/delta"
        report.full = folder.delta_link is None
        try:
            try:
                items, delta_link = await self._graph.delta(start, resource="drive delta")
            except DeltaGone as gone:
                report.full = True
                items, delta_link = await self._graph.delta(
                    gone.restart or f"/drives/{quote(folder.drive_id)}/root/delta", resource="drive delta")
        except GraphError as exc:
            report.failed = exc.message
            return report
        scope = set(folder.folder_ids) | {folder.folder_item_id}
        changes = _changes(items, scope, folder.folder_item_id)
        stored = await self._stored(folder.id)
        transient = False
        for change in changes.values():
            item, old = change.item, stored.get(str(change.item["id"]))
            if not change.in_scope:
                if old is not None:
                    await self._retire(folder.id, old, report, trigger)
                continue
            transient |= await self._file(folder, item, old, report, trigger)
        if report.full:  # a full listing: whatever was stored and not listed is gone
            for item_id, old in stored.items():
                if item_id not in changes:
                    await self._retire(folder.id, old, report, trigger)
        if report.changed:  # the model's HNSW index (first time) and the lexeme frequencies, once per sync
            async with unit_of_work(self._sessions) as session:
                await finish_ingest(session, self._embedder)
        if not transient:
            async with unit_of_work(self._sessions) as session:
                await session.execute(
                    update(KnowledgeSharePointFolder).where(KnowledgeSharePointFolder.id == folder.id)
                    .values(delta_link=delta_link, folder_ids=sorted(scope)))
        else:
            report.failed = "some files could not be downloaded; the next sync tries them again"
        return report

    async def _file(self, folder: KnowledgeSharePointFolder, item: dict[str, Any],
                    old: KnowledgeSharePointItem | None, report: SyncReport, trigger: Trigger) -> bool:
        """Read and ingest one new or changed file; True when Graph failed (to be tried again)."""
        name = str(item.get("name") or item["id"])
        version = _version(item)
        if old is not None and old.version == version and old.name == name:
            report.unchanged += 1
            return False
        slug = slugify(PurePosixPath(name).stem)[:120].strip("-")
        try:
            file_format(name)
            check_size(name, int(item.get("size") or 0), self._limits)
            if not slug:
                raise DocumentError("the file name has no letters or digits to name the document by")
        except DocumentError as exc:
            await self._record_error(folder.id, item, version, f"{name}: {exc}", report)
            return False
        try:
            data = await self._graph.download(f"/drives/{quote(folder.drive_id)}/items/{quote(str(item['id']))}"
                                              "/content", max_bytes=self._limits.max_bytes)
        except GraphError as exc:
            if exc.status in (403, 404) or isinstance(exc, TooLarge):
                await self._record_error(folder.id, item, version, f"{name}: {exc.message}", report)
                return False
            report.errors.append(f"{name}: {exc.message}")
            return True
        try:
            parsed = await parse_isolated(name, data, self._limits, self._timeout)
            modified = str(item.get("lastModifiedDateTime") or "")[:10]
            fields = guess(parsed, today=_date(modified), reviewer=_modifier(item))
            fields |= {k: v for k, v in folder.overrides.items() if v}
            document = document_from_parsed(parsed, slug, fields, hashlib.sha256(data).hexdigest())
            async with unit_of_work(self._sessions) as session:
                ingested = IngestReport()
                document_id = await ingest_document(session, self._embedder, document, ingested, source=SOURCE)
                await keep_original(session, document_id, document, name, data, origin=SOURCE)
                if old is not None and old.document_id is not None and old.document_id != document_id:
                    await _drop_document(session, old.document_id)  # renamed: the old name's document goes
                await _upsert_item(session, folder.id, item, name, version, document_id, None)
                await trigger.audit(session, action="knowledge.document.add", subject_type="knowledge_document",
                                    subject_ids=[document_id])
        except DocumentError as exc:
            await self._record_error(folder.id, item, version, f"{name}: {exc}", report)
            return False
        (report.updated if old is not None and old.document_id is not None else report.added).append(name)
        return False

    async def _record_error(self, folder_id: int, item: dict[str, Any], version: str, message: str,
                            report: SyncReport) -> None:
        report.errors.append(message)
        async with unit_of_work(self._sessions) as session:
            await _upsert_item(session, folder_id, item, str(item.get("name") or item["id"]), version, None, message,
                               keep_document=True)

    async def _retire(self, folder_id: int, old: KnowledgeSharePointItem, report: SyncReport,
                      trigger: Trigger) -> None:
        async with unit_of_work(self._sessions) as session:
            if old.document_id is not None:
                await _drop_document(session, old.document_id)
                await trigger.audit(session, action="knowledge.document.remove", subject_type="knowledge_document",
                                    subject_ids=[old.document_id])
            await session.execute(delete(KnowledgeSharePointItem).where(
                KnowledgeSharePointItem.folder_id == folder_id, KnowledgeSharePointItem.item_id == old.item_id))
        report.retired.append(old.name)

    async def _stored(self, folder_id: int) -> dict[str, KnowledgeSharePointItem]:
        async with self._sessions() as session:
            rows = (await session.execute(select(KnowledgeSharePointItem)
                                          .where(KnowledgeSharePointItem.folder_id == folder_id))).scalars()
            return {row.item_id: row for row in rows}


def _changes(items: list[dict[str, Any]], scope: set[str], root_id: str) -> dict[str, Change]:
    """The delta's files, last occurrence of each, marked in or out of the approved folder; ``scope`` (folder ids)
    is updated in place with the folders created, moved or deleted."""
    latest: dict[str, dict[str, Any]] = {}
    for item in items:
        latest.pop(str(item["id"]), None)
        latest[str(item["id"])] = item  # the last occurrence wins, in its later position
    folders = [i for i in latest.values() if "folder" in i or ("deleted" in i and str(i["id"]) in scope)]
    grew = True
    while grew:  # parents usually come first; repeat for the ones that did not
        grew = False
        for item in folders:
            item_id = str(item["id"])
            if item_id == root_id:
                continue
            inside = "deleted" not in item and _parent(item) in scope
            if inside and item_id not in scope:
                scope.add(item_id)
                grew = True
            elif not inside and item_id in scope:
                scope.discard(item_id)
                grew = True
    return {item_id: Change(item, "deleted" not in item and _parent(item) in scope)
            for item_id, item in latest.items() if "file" in item or "deleted" in item}


def _counts(report: SyncReport) -> str:
    """The audit row's reason: counts only (file names stay out of the log)."""
    counts = (f"{len(report.added)} added, {len(report.updated)} updated, {len(report.retired)} retired, "
              f"{report.unchanged} unchanged, {len(report.errors)} not read")
    return (counts + ("; stopped" if report.failed else ""))[:200]


def _parent(item: dict[str, Any]) -> str:
    return str((item.get("parentReference") or {}).get("id") or "")


def _version(item: dict[str, Any]) -> str:
    """What changes when the content does: Graph's content hash where it gives one, else the cTag or eTag."""
    hashes = (item.get("file") or {}).get("hashes") or {}
    for key in ("quickXorHash", "sha256Hash", "sha1Hash"):
        if hashes.get(key):
            return f"{key}:{hashes[key]}"[:200]
    return str(item.get("cTag") or item.get("eTag") or "")[:200]


def _modifier(item: dict[str, Any]) -> str:
    user = (item.get("lastModifiedBy") or {}).get("user") or {}
    return str(user.get("displayName") or "SharePoint")[:200]


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return date.today()


def _site_path(site: str) -> tuple[str, str]:
    """(label, Graph path) for ``contoso.sharepoint.com/sites/PE`` (a URL works too) or a Graph site id."""
    label = site.strip().removeprefix("https://").removeprefix("http://").strip("/")
    if not label or any(c.isspace() for c in label):
        raise InvalidInput("Name the site as host/sites/name, e.g. contoso.sharepoint.com/sites/PE.")
    if "," in label and "/" not in label:  # a Graph site id
        return label, f"/sites/{quote(label, safe=',')}"
    host, _, path = label.partition("/")
    return label, f"/sites/{quote(host)}" + (f":/{quote(path)}" if path else "")


async def _upsert_item(session: AsyncSession, folder_id: int, item: dict[str, Any], name: str, version: str,
                       document_id: int | None, error: str | None, *, keep_document: bool = False) -> None:
    values = {"folder_id": folder_id, "item_id": str(item["id"]), "name": name[:300], "version": version,
              "document_id": document_id, "error": error}
    changes: dict[str, Any] = {"name": values["name"], "version": version, "error": error, "updated_at": func.now()}
    if not keep_document:
        changes["document_id"] = document_id
    await session.execute(insert(KnowledgeSharePointItem).values(**values).on_conflict_do_update(
        constraint="uq_knowledge_sharepoint_items_folder_id", set_=changes))


async def _drop_document(session: AsyncSession, document_id: int) -> None:
    slug = (await session.execute(text("SELECT slug FROM knowledge_documents WHERE id = :id AND source = :source"),
                                  {"id": document_id, "source": SOURCE})).scalar()
    if slug is not None:
        await retire_originals(session, slug)
        await document_store.delete_document(session, slug)


__all__ = ["PERMISSION", "SOURCE", "SharePointSync", "SyncReport"]
