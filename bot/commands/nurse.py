"""``notify nurse`` (also the *Notify nurse* suggested action after a protocol answer): the confirmation card; the
card's Send (``nurse.send``) saves the request, which the alert runner delivers. None when the text is not this."""

from __future__ import annotations

import re
import secrets
from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.nurse import nurse_request_card
from domain.actor import Actor
from domain.errors import InvalidInput
from tools.base import NurseAccess, ToolDeps

VIA = "card:nurse"
_NOTIFY = re.compile(r"^/?(notify|call|page|alert|get)\s+(the\s+)?(school\s+)?nurse[.!]*$", re.I)
NOT_SET_UP = "Nurse requests aren't set up on this Faraday."
NO_NURSE = "No nurse at your school is on Faraday yet; call the office."


async def nurse_command(text_in: str, actor: Actor, services: NurseAccess) -> CardOutcome | None:
    if _NOTIFY.match(" ".join(text_in.split())) is None:
        return None
    requests = services.nurse_requests
    if requests is None:
        return CardOutcome(text=NOT_SET_UP)
    nurses = await requests.nurses(actor)
    if nurses == 0:
        return CardOutcome(text=NO_NURSE)
    return CardOutcome(cards=[nurse_request_card(secrets.token_urlsafe(16), nurses)])


async def send_to_nurse(value: dict[str, Any], deps: ToolDeps) -> CardOutcome:
    requests = deps.services.nurse_requests
    if requests is None:
        return CardOutcome(text=NOT_SET_UP)
    key = str(value.get("key") or "")
    try:
        done = await requests.request(deps.actor, value.get("note"), key, via=VIA)
    except InvalidInput as exc:
        if "note" not in exc.field_errors:
            raise
        nurses = await requests.nurses(deps.actor)
        return CardOutcome(text=str(exc), cards=[nurse_request_card(key, nurses, str(value.get("note") or ""),
                                                                   str(exc))])
    who = "the nurse" if done.nurses == 1 else f"the {done.nurses} nurses"
    sentence = f"Sent to {who}." if done.created else f"Already sent to {who}; nothing more was sent."
    return CardOutcome(text=sentence)


NURSE_ACTIONS = {"nurse.send": send_to_nurse}
