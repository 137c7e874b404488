"""A roster export (.zip) an admin sends in a 1:1 chat: the caller is checked before anything is downloaded, the
file is fetched like an uploaded document (allow-listed hosts, no redirects, a size limit) and dry-run; the answer
is a preview card with the counts (or the first errors) and Apply / Cancel (verbs in ``bot.actions.roster``), Apply
running exactly the CLI's import (``domain.roster.uploads``)."""

from __future__ import annotations

from typing import Any

from bot.actions.outcome import CardOutcome
from bot.actions.roster import APPLY_VERB, CANCEL_VERB, count_facts, error_lines
from bot.cards.elements import card, facts, heading, text
from bot.cards.inputs import execute
from domain.actor import Actor
from domain.errors import DomainError
from domain.roster.uploads import MAX_ROSTER_BYTES, RosterPreview, RosterUploads, is_roster_file


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


def preview_card(preview: RosterPreview) -> dict[str, Any]:
    report = preview.report
    body: list[dict[str, Any]] = [heading("Import this roster?" if preview.upload_id else "This roster has errors"),
                                  facts([("File", preview.file_name), ("Format", report.format),
                                         ("Scope", report.scope[:120])])]
    if report.errors:
        return card(body + error_lines(report))
    body.append(facts(count_facts(report)))
    if not report.changed:
        body.append(text("Nothing would change: the database already matches this roster."))
    data = {"upload_id": preview.upload_id}
    return card(body, [execute("Apply", APPLY_VERB, data, inputs="none", style="positive"),
                       execute("Cancel", CANCEL_VERB, data, inputs="none")])
