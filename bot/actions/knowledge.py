"""Buttons of the knowledge cards: the upload preview's Add / Cancel (card built in
``bot.commands.knowledge_upload``; they name only the pending upload's id, and the service checks the caller owns it)
and the removal confirmation's Remove / Keep (``bot.commands.knowledge``)."""

from __future__ import annotations

from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, facts, heading, text
from domain.errors import DomainError
from knowledge.uploads import CARD_FIELDS, InvalidMetadata
from tools.base import ToolDeps

ADD_VERB = "knowledge.add"
CANCEL_VERB = "knowledge.cancel"
REMOVE_VERB = "knowledge.remove"
KEEP_VERB = "knowledge.keep"
VIA = "card:knowledge_upload"
NOT_SET_UP = "Document uploads aren't set up on this Faraday."
STALE = "That button isn't valid any more; nothing was added."


def _upload_id(value: dict[str, Any]) -> int | None:
    raw = value.get("upload_id")
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit() or len(str(raw)) > 18:
        return None
    return int(raw)


async def add_document(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    uploads, upload_id = deps.services.uploads, _upload_id(value)
    if uploads is None:
        return CardOutcome(text=NOT_SET_UP)
    if upload_id is None:
        return CardOutcome(text=STALE)
    values = {k: value[k] for k in CARD_FIELDS if k in value}
    try:
        added = await uploads.add(deps.actor, upload_id, values or None, via=VIA)
    except InvalidMetadata as exc:  # the same card again, with the admin's values and an error under each bad field
        from bot.commands.knowledge_upload import preview_card

        shown = {k: str(v) for k, v in values.items() if isinstance(v, str | int)}
        try:
            preview = await uploads.pending_preview(deps.actor, upload_id, shown, exc.errors, via=VIA)
        except DomainError as again:
            return CardOutcome(text=f"{again} Nothing was added.")
        return CardOutcome(text=str(exc), cards=[preview_card(preview)])
    except DomainError as exc:
        sentence = f"{exc} Nothing was added."
        return CardOutcome(text=sentence, cards=[card([text(sentence)])])
    sentence = (f"“{added.title}” (version {added.version}) was already added." if added.already_added else
                f"Added “{added.title}” (version {added.version}) to the knowledge base: {added.chunks} sections "
                "are searchable now.")
    body = [heading("Added to the knowledge base"), text(sentence)]
    if not added.already_added:
        body.append(facts([("Document id", added.slug)]))
    return CardOutcome(text=sentence, cards=[card(body)])


async def cancel_upload(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    uploads, upload_id = deps.services.uploads, _upload_id(value)
    sentence = "Cancelled: nothing was added."
    if uploads is not None and upload_id is not None:
        try:
            await uploads.cancel(deps.actor, upload_id, via=VIA)
        except DomainError as exc:
            sentence = str(exc)
    return CardOutcome(text=sentence, cards=[card([text(sentence)])])


async def remove_document(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    uploads, slug = deps.services.uploads, value.get("slug")
    if uploads is None:
        return CardOutcome(text=NOT_SET_UP)
    if not isinstance(slug, str) or not slug:
        return CardOutcome(text="That button isn't valid any more; nothing was removed.")
    try:
        sections = await uploads.remove(deps.actor, slug, via=VIA)
    except DomainError as exc:
        sentence = f"{exc} Nothing was removed."
        return CardOutcome(text=sentence, cards=[card([text(sentence)])])
    sentence = f"Removed “{slug}” and its {sections} sections from the knowledge base."
    return CardOutcome(text=sentence, cards=[card([heading("Document removed"), text(sentence)])])


async def keep_document(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    sentence = "Kept: nothing was removed."
    return CardOutcome(text=sentence, cards=[card([text(sentence)])])
