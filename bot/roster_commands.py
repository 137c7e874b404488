"""The Teams side of roster sync: link an unknown caller to their imported staff row by the Teams member record
(``TeamsInfo.get_member``: UPN and e-mail through the Bot Connector); the admin commands ``set role <person>
<role>`` and ``roster status``; a roster .zip sent by an admin in a 1:1 chat → a preview card (the dry run's counts
and first errors) with Apply / Cancel, Apply running exactly the CLI's import. Matching, binding, roles, the held
upload and auditing live in ``domain.roster``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, escape, facts, heading, text
from bot.cards.inputs import execute
from domain.actor import Actor
from domain.errors import DomainError
from domain.models import Role
from domain.roster.linking import StaffLinks
from domain.roster.model import ENTITIES
from domain.roster.report import ImportReport
from domain.roster.uploads import MAX_ROSTER_BYTES, RosterPreview, RosterUploads, is_roster_file
from tools.base import ToolDeps

log = logging.getLogger(__name__)

_SET_ROLE = re.compile(
    r"^/?set\s+role\s+(?:of\s+|for\s+)?(.{1,254}?)\s+(?:to\s+|as\s+)?(teacher|coach|nurse|admin)$", re.I)
_STATUS = re.compile(r"^/?roster\s+status$", re.I)
ADMINS_ONLY = "Only administrators can use that command."


async def graph_sync_ctx(app: Any) -> AsyncIterator[None]:
    """cleanup_ctx: the scheduled Graph roster sync, when ``ROSTER_GRAPH_SYNC_MINUTES`` > 0 and Graph is set up."""
    from bot.routes import ENGINE, SETTINGS
    from domain.db import make_sessionmaker
    from domain.roster.schedule import scheduled_graph_sync

    settings = app[SETTINGS]
    task = None
    if settings.roster_graph_sync_minutes > 0 and settings.graph_configured:
        task = asyncio.create_task(scheduled_graph_sync(make_sessionmaker(app[ENGINE]), settings))
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def link_caller(turn_context: TurnContext, links: StaffLinks | None) -> Actor | None:
    """The caller bound to their imported staff row, or None (unknown: the polite refusal follows)."""
    activity = turn_context.activity
    sender = activity.from_property
    if links is None or sender is None or not sender.id or activity.channel_id != "msteams":
        return None
    try:
        member = await TeamsInfo.get_member(turn_context, sender.id)
    except Exception as exc:  # the connector said no (404, 5xx, timeout): the caller stays unknown
        log.info("teams member record unavailable", extra={"error": type(exc).__name__})
        return None
    aad = getattr(sender, "aad_object_id", None)
    if member is None or (member.aad_object_id and aad and member.aad_object_id != aad):
        return None
    tenant = (activity.conversation.tenant_id if activity.conversation else None) or (
        (activity.channel_data or {}).get("tenant", {}).get("id"))
    return await links.link(tenant, aad, member.user_principal_name, member.email)


async def roster_command(text_in: str, actor: Actor, services: Any) -> CardOutcome | None:
    """``set role <person> <role>`` or ``roster status`` (admins); None when ``text_in`` is neither."""
    command = " ".join(text_in.split())
    set_role, status = _SET_ROLE.match(command), _STATUS.match(command)
    if set_role is None and status is None:
        return None
    if actor.role != Role.admin:
        return CardOutcome(text=ADMINS_ONLY)
    try:
        if set_role is not None:
            if services.staff_links is None:
                return CardOutcome(text="Roles can't be set on this Faraday.")
            person = set_role.group(1).strip(" '\"")
            return CardOutcome(text=escape(await services.staff_links.set_role(actor, person, set_role.group(2))))
        if services.roster_status is None:
            return CardOutcome(text="Roster status isn't available on this Faraday.")
        return CardOutcome(text="\n\n".join(escape(line) for line in await services.roster_status.summary(actor)))
    except DomainError as exc:
        return CardOutcome(text=str(exc))


# --- a roster .zip sent in Teams -------------------------------------------------------------------------------------
APPLY_VERB = "roster.apply"
CANCEL_VERB = "roster.cancel"
SHOWN_ERRORS = 5
STALE = "That button isn't valid any more; nothing was imported."


def roster_files(files: list[Any]) -> bool:
    """True when the message carries exactly the kind of file this module handles (one .zip)."""
    return len(files) == 1 and is_roster_file(files[0].name)


async def roster_upload_reply(files: list[Any], actor: Actor, uploads: RosterUploads, fetcher: Any) -> CardOutcome:
    """Check the caller (before any download), fetch the .zip, dry-run it and answer with the preview card."""
    try:
        uploads.check_allowed(actor)
        data = await fetcher.with_limit(MAX_ROSTER_BYTES).fetch(files[0].download_url)
        preview = await uploads.preview(actor, files[0].name, data)
    except DomainError as exc:
        return CardOutcome(text=str(exc))
    if preview.upload_id is None:
        return CardOutcome(text="That roster can't be imported; nothing was changed.", cards=[preview_card(preview)])
    return CardOutcome(text="Check what would change, then apply the roster.", cards=[preview_card(preview)])


def _count_facts(report: ImportReport) -> list[tuple[str, str]]:
    return [(entity.capitalize(), f"{c.created} new, {c.updated} updated, {c.deactivated} deactivated, "
                                  f"{c.unchanged} unchanged")
            for entity in ENTITIES for c in (report.counts[entity],)]


def _errors(report: ImportReport) -> list[dict[str, Any]]:
    shown = [text(f"{e.file}{'' if e.line is None else f' line {e.line}'}: {e.message[:200]}")
             for e in report.errors[:SHOWN_ERRORS]]
    more = len(report.errors) - SHOWN_ERRORS
    return shown + ([text(f"… and {more} more (python -m bot roster import shows them all).", subtle=True)]
                    if more > 0 else [])


def preview_card(preview: RosterPreview) -> dict[str, Any]:
    report = preview.report
    body: list[dict[str, Any]] = [heading("Import this roster?" if preview.upload_id else "This roster has errors"),
                                  facts([("File", preview.file_name), ("Format", report.format),
                                         ("Scope", report.scope[:120])])]
    if report.errors:
        return card(body + _errors(report))
    body.append(facts(_count_facts(report)))
    if not report.changed:
        body.append(text("Nothing would change: the database already matches this roster."))
    data = {"upload_id": preview.upload_id}
    return card(body, [execute("Apply", APPLY_VERB, data, inputs="none", style="positive"),
                       execute("Cancel", CANCEL_VERB, data, inputs="none")])


def _upload_id(value: dict[str, Any]) -> int | None:
    raw = value.get("upload_id")
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit() or len(str(raw)) > 18:
        return None
    return int(raw)


async def apply_roster(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    uploads, upload_id = deps.services.roster_uploads, _upload_id(value)
    if uploads is None or upload_id is None:
        return CardOutcome(text=STALE)
    try:
        report = await uploads.apply(deps.actor, upload_id)
    except DomainError as exc:
        return CardOutcome(text=f"{exc} Nothing was imported.")
    if report.errors:
        sentence = "The roster couldn't be imported; nothing was changed."
        return CardOutcome(text=sentence, cards=[card([heading("Roster not imported"), text(sentence),
                                                       *_errors(report)])])
    sentence = "Roster imported." if report.changed else "Roster checked: nothing needed to change."
    return CardOutcome(text=sentence, cards=[card([heading(sentence), facts(_count_facts(report))])])


async def cancel_roster(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    uploads, upload_id = deps.services.roster_uploads, _upload_id(value)
    if uploads is not None and upload_id is not None:
        try:
            await uploads.cancel(deps.actor, upload_id)
        except DomainError as exc:
            return CardOutcome(text=str(exc))
    return CardOutcome(text="Cancelled: nothing was imported.")


ROSTER_ACTIONS = {APPLY_VERB: apply_roster, CANCEL_VERB: cancel_roster}
