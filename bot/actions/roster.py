"""Buttons of the roster preview card (built in ``bot.commands.roster_upload``): Apply runs the held upload's import
once, Cancel drops it. They name only the upload's id; the service checks the caller sent it and is an admin."""

from __future__ import annotations

from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, facts, heading, text
from domain.errors import DomainError
from domain.roster.model import ENTITIES
from domain.roster.report import ImportReport
from tools.base import ToolDeps

APPLY_VERB = "roster.apply"
CANCEL_VERB = "roster.cancel"
SHOWN_ERRORS = 5
STALE = "That button isn't valid any more; nothing was imported."


def count_facts(report: ImportReport) -> list[tuple[str, str]]:
    return [(entity.capitalize(), f"{c.created} new, {c.updated} updated, {c.deactivated} deactivated, "
                                  f"{c.unchanged} unchanged")
            for entity in ENTITIES for c in (report.counts[entity],)]


def error_lines(report: ImportReport) -> list[dict[str, Any]]:
    shown = [text(f"{e.file}{'' if e.line is None else f' line {e.line}'}: {e.message[:200]}")
             for e in report.errors[:SHOWN_ERRORS]]
    more = len(report.errors) - SHOWN_ERRORS
    return shown + ([text(f"… and {more} more (python -m bot roster import shows them all).", subtle=True)]
                    if more > 0 else [])


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
                                                       *error_lines(report)])])
    sentence = "Roster imported." if report.changed else "Roster checked: nothing needed to change."
    return CardOutcome(text=sentence, cards=[card([heading(sentence), facts(count_facts(report))])])


async def cancel_roster(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    uploads, upload_id = deps.services.roster_uploads, _upload_id(value)
    if uploads is not None and upload_id is not None:
        try:
            await uploads.cancel(deps.actor, upload_id)
        except DomainError as exc:
            return CardOutcome(text=str(exc))
    return CardOutcome(text="Cancelled: nothing was imported.")


ROSTER_ACTIONS = {APPLY_VERB: apply_roster, CANCEL_VERB: cancel_roster}
