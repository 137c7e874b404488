"""Admin text commands for documents added in Teams: ``uploaded documents`` lists them, ``remove document <id>``
asks for confirmation on a card (verbs in ``bot.actions.knowledge``); ``knowledge sync sharepoint <site> <folder>``
approves a SharePoint folder and syncs it (alone: syncs every approved folder). The model is never involved; the
services check the role."""

from __future__ import annotations

import re

from bot.actions.knowledge import KEEP_VERB, REMOVE_VERB, VIA
from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, facts, heading, text
from bot.cards.inputs import execute
from domain.actor import Actor
from domain.errors import DomainError
from domain.models import Role
from knowledge.sharepoint import ADMINS_ONLY, SharePointSync, SyncReport
from knowledge.uploads import KnowledgeUploads

_LIST = re.compile(r"^/?(?:list\s+)?uploaded\s+documents$", re.I)
_REMOVE = re.compile(r"^/?remove\s+document\s+([a-z0-9-]{1,200})$", re.I)
_SHAREPOINT = re.compile(r"^/?knowledge\s+sync\s+sharepoint(?:\s+(\S+)(?:\s+(.+))?)?$", re.I)
TEAMS = "teams"  # audit rows: via sharepoint:teams
HOW_TO_ADD = "To add one, send me the PDF, Word (.docx), markdown or text file in this chat."
NO_GRAPH = ("SharePoint folders need Microsoft Graph: ask IT to set MS_TENANT_ID, MS_CLIENT_ID and a secret or "
            "certificate, with the Sites.Selected permission granted on the site.")


async def knowledge_command(text_in: str, actor: Actor, uploads: KnowledgeUploads | None,
                            sharepoint: SharePointSync | None = None) -> CardOutcome | None:
    """Run a document command, or return None when ``text_in`` is not one."""
    command = " ".join(text_in.split())
    folder = _SHAREPOINT.match(command)
    if folder is not None:
        return await _sync_sharepoint(actor, sharepoint, folder.group(1), folder.group(2))
    listing, removal = _LIST.match(command), _REMOVE.match(command)
    if uploads is None or (listing is None and removal is None):
        return None
    try:
        if listing is not None:
            return await _listing(actor, uploads)
        assert removal is not None
        return await _confirm_removal(removal.group(1).lower(), actor, uploads)
    except DomainError as exc:
        return CardOutcome(text=str(exc))


async def _listing(actor: Actor, uploads: KnowledgeUploads) -> CardOutcome:
    documents = await uploads.uploaded(actor, via=VIA)
    if not documents:
        return CardOutcome(text=f"No documents have been added in Teams. {HOW_TO_ADD}")
    pairs = [(d.slug, f"{d.title} — {d.kind}, version {d.version}; added by {d.added_by or 'a former admin'}"
                      + (f" on {d.added_at:%Y-%m-%d}" if d.added_at else "")) for d in documents]
    body = [heading("Documents added in Teams"), facts(pairs),
            text("Type **remove document** and the id to take one out.", markdown=True)]
    return CardOutcome(text=f"{len(documents)} documents were added in Teams.", cards=[card(body)])


async def _confirm_removal(slug: str, actor: Actor, uploads: KnowledgeUploads) -> CardOutcome:
    found = next((d for d in await uploads.uploaded(actor, via=VIA) if d.slug == slug), None)
    if found is None:
        return CardOutcome(text=f"No uploaded document is called “{slug}”. Type **uploaded documents** to see them.")
    body = [heading("Remove this document?"),
            facts([("Title", found.title), ("Id", found.slug), ("Version", found.version)]),
            text("Faraday stops using it in answers at once. This cannot be undone; send the file again to re-add it.")]
    data = {"slug": found.slug}
    actions = [execute("Remove document", REMOVE_VERB, data, inputs="none", style="destructive"),
               execute("Keep it", KEEP_VERB, data, inputs="none")]
    return CardOutcome(text="Please confirm on the card.", cards=[card(body, actions)])


async def _sync_sharepoint(actor: Actor, sharepoint: SharePointSync | None, site: str | None,
                           folder: str | None) -> CardOutcome:
    if sharepoint is None:
        return CardOutcome(text=NO_GRAPH if actor.role == Role.admin else ADMINS_ONLY)
    try:
        if site is not None:
            folder_id = await sharepoint.approve(site, (folder or "").strip().strip("\"“”'"), actor=actor, via=TEAMS)
            reports = [await sharepoint.sync(folder_id, actor=actor, via=TEAMS)]
        else:
            await sharepoint.check_allowed(actor, action="knowledge.sharepoint.sync", via=TEAMS)
            reports = await sharepoint.sync_all(actor=actor, via=TEAMS)
    except DomainError as exc:
        return CardOutcome(text=str(exc))
    if not reports:
        return CardOutcome(text="No SharePoint folder is connected yet: **knowledge sync sharepoint** "
                                "contoso.sharepoint.com/sites/PE Safety")
    return CardOutcome(text="\n\n".join(_report_text(r) for r in reports))


def _report_text(report: SyncReport) -> str:
    if report.failed:
        return f"**{report.folder}**: the sync stopped — {report.failed}."
    lines = [f"**{report.folder}**: {len(report.added)} added, {len(report.updated)} updated, "
             f"{len(report.retired)} retired, {report.unchanged} unchanged."]
    lines += [f"- not read: {e}" for e in report.errors[:10]]
    if len(report.errors) > 10:
        lines.append(f"- and {len(report.errors) - 10} more files not read")
    return "\n".join(lines)
