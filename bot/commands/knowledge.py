"""Admin text commands for documents added in Teams: ``uploaded documents`` lists them, ``remove document <id>``
asks for confirmation on a card (verbs in ``bot.actions.knowledge``); ``knowledge sync sharepoint <site> <folder>``
approves a SharePoint folder and starts its sync in the background (alone: every approved folder), answering at once;
the result comes to the admin's 1:1 chat when the sync ends (``knowledge.sharepoint_jobs``). The model is never
involved; the services check the role."""

from __future__ import annotations

import re

from bot.actions.knowledge import KEEP_VERB, REMOVE_VERB, VIA
from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, facts, heading, text
from bot.cards.inputs import execute
from domain.actor import Actor
from domain.errors import DomainError
from domain.models import Role
from knowledge.sharepoint import ADMINS_ONLY
from knowledge.sharepoint_jobs import SharePointJobs
from knowledge.uploads import KnowledgeUploads

_LIST = re.compile(r"^/?(?:list\s+)?uploaded\s+documents$", re.I)
_REMOVE = re.compile(r"^/?remove\s+document\s+([a-z0-9-]{1,200})$", re.I)
_SHAREPOINT = re.compile(r"^/?knowledge\s+sync\s+sharepoint(?:\s+(\S+)(?:\s+(.+))?)?$", re.I)
HOW_TO_ADD = "To add one, send me the PDF, Word (.docx), markdown or text file in this chat."
NO_GRAPH = ("SharePoint folders need Microsoft Graph: ask IT to set MS_TENANT_ID, MS_CLIENT_ID and a secret or "
            "certificate, with the Sites.Selected permission granted on the site.")


async def knowledge_command(text_in: str, actor: Actor, uploads: KnowledgeUploads | None,
                            sharepoint: SharePointJobs | None = None) -> CardOutcome | None:
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


async def _sync_sharepoint(actor: Actor, sharepoint: SharePointJobs | None, site: str | None,
                           folder: str | None) -> CardOutcome:
    if sharepoint is None:
        return CardOutcome(text=NO_GRAPH if actor.role == Role.admin else ADMINS_ONLY)
    try:
        started = await sharepoint.start(actor, site, (folder or "").strip().strip("\"“”'") if site else None)
    except DomainError as exc:
        return CardOutcome(text=str(exc))
    if started.job_id is None:
        return CardOutcome(text=f"A sync of **{started.label}** is already under way; whoever started it gets the "
                                "result in their chat with me. Nothing more was started.")
    return CardOutcome(text=f"Started syncing **{started.label}**. I'll message you in our chat when it finishes, with "
                            "what was added, updated or retired and any file I could not read.")
