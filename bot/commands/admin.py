"""Text commands for admins: ``access history <student name or number>`` and ``delete student <number>``.

The handler calls ``admin_command`` before the agent (it returns None when the text is not one of these). Deleting
asks for confirmation on a card: Action.Execute verb ``privacy.delete_student`` (Action.Submit fallback); the press is
handled by ``confirm_delete_student``, with the caller's server-resolved identity. The model is never involved.
"""

from __future__ import annotations

import re
from typing import Any

from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, escape, facts, heading, text
from bot.cards.inputs import execute
from domain.access_history import AccessHistory
from domain.actor import Actor
from domain.errors import DomainError
from domain.models import Role

_HISTORY = re.compile(r"^/?access\s+history(?:\s+(?:for|of))?\s+(.{1,120})$", re.I)
_DELETE = re.compile(r"^/?delete\s+student\s+(\S{1,20})$", re.I)
_NUMBER = re.compile(r"^[Ss]\d{4,9}$")
DELETE_VERB = "privacy.delete_student"
CANCEL_VERB = "privacy.cancel_delete"
VIA_HISTORY = "command:access_history"
VIA_DELETE = "card:privacy"
ADMINS_ONLY = "Only administrators can use that command."
NOT_SET_UP = "Privacy commands aren't set up on this Faraday yet."
SHOWN = 15


async def admin_command(text_in: str, actor: Actor, services: Any) -> CardOutcome | None:
    """Run an admin command, or return None when ``text_in`` is not one (the agent handles it then)."""
    command = " ".join(text_in.split())
    history, deletion = _HISTORY.match(command), _DELETE.match(command)
    if history is None and deletion is None:
        return None
    if actor.role != Role.admin:
        return CardOutcome(text=ADMINS_ONLY)
    try:
        if history is not None:
            return await _access_history(history.group(1).strip(" ?.!"), actor, services)
        assert deletion is not None
        return await _confirm_card(deletion.group(1), actor, services)
    except DomainError as exc:
        return CardOutcome(text=str(exc))


async def _access_history(query: str, actor: Actor, services: Any) -> CardOutcome:
    histories = getattr(services, "access_history", None)
    if histories is None:
        return CardOutcome(text=NOT_SET_UP)
    found = await services.students.find(actor, query, via=VIA_HISTORY)
    if found.status == "not_found":
        return CardOutcome(text="No student by that name or number at your school.")
    if found.status == "ambiguous":
        options = ", ".join(f"{escape(c.display_name)} ({c.student_number})" for c in found.candidates)
        return CardOutcome(text=f"Several students match: {options}. Ask again with the student number.")
    history = await histories.for_student(actor, found.profile.summary.id, via=VIA_HISTORY)
    return CardOutcome(text=f"Access history for {escape(history.student_name)}.", cards=[history_card(history)])


# Where the record was opened (the audit row's conversation type); older rows did not record it.
_WHERE = {"personal": " in a private chat", "groupChat": " in a group chat", "channel": " in a team channel"}


def history_card(history: AccessHistory) -> dict[str, Any]:
    body: list[dict[str, Any]] = [heading(f"Who accessed {history.student_name}"),
                                  text(f"Student {history.student_number}; newest first.", subtle=True)]
    if not history.entries:
        body.append(text("Nobody has opened this student's records through Faraday."))
    pairs = [
        (entry.at.strftime("%Y-%m-%d %H:%M"),
         f"{entry.who} ({entry.role}) — {entry.action} via {entry.via}" + _WHERE.get(entry.conversation or "", "")
         + ("" if entry.allowed else " — DENIED"))
        for entry in history.entries[:SHOWN]
    ]
    if pairs:
        body.append(facts(pairs))
    if len(history.entries) > SHOWN or history.truncated:
        body.append(text("Older entries are in the audit log.", subtle=True))
    return card(body)


async def _confirm_card(number: str, actor: Actor, services: Any) -> CardOutcome:
    privacy = getattr(services, "privacy", None)
    if privacy is None:
        return CardOutcome(text=NOT_SET_UP)
    if not _NUMBER.match(number):
        return CardOutcome(text="Give the student number, e.g. **delete student S109001**.")
    brief = await privacy.preview(actor, number, via=VIA_DELETE)
    data = {"action": DELETE_VERB, "student_number": brief.student_number}
    body = [
        heading("Delete a student's records?"),
        facts([("Student", brief.display_name), ("Number", brief.student_number), ("Grade", str(brief.grade))]),
        text("This permanently removes the student, their guardians, attendance, assessments, fitness tests, health "
             "notes, incidents and alerts, conversation memory that mentions them, and cached data. The audit log "
             "keeps a record of the deletion. This cannot be undone."),
    ]
    actions = [execute("Delete permanently", DELETE_VERB, data, inputs="none", style="destructive"),
               execute("Cancel", CANCEL_VERB, {}, inputs="none")]
    return CardOutcome(text="Please confirm on the card.", cards=[card(body, actions)])


async def confirm_delete_student(value: dict[str, Any], deps: Any) -> CardOutcome:
    """The card's Delete button (Execute or Submit). Re-checks the caller's role and school in the service."""
    privacy = getattr(deps.services, "privacy", None)
    if privacy is None:
        return CardOutcome(text=NOT_SET_UP)
    number = value.get("student_number")
    if not isinstance(number, str) or not _NUMBER.match(number):
        return CardOutcome(text="That button isn't valid any more; nothing was deleted.")
    try:
        report = await privacy.delete_student(deps.actor, number, via=VIA_DELETE)
    except DomainError as exc:
        return CardOutcome(text=f"{exc} Nothing was deleted.")
    sentence = f"Deleted student {number.upper()}: {report.total_rows} records removed."
    if not report.redis_ok:
        sentence += " Cached data will expire on its own."
    return CardOutcome(text=sentence, cards=[card([heading("Student deleted"), text(sentence)])])


async def cancel_delete_student(value: dict[str, Any], deps: Any) -> CardOutcome:
    return CardOutcome(text="Cancelled: nothing was deleted.", cards=[card([text("Cancelled: nothing was deleted.")])])


ADMIN_ACTIONS = {DELETE_VERB: confirm_delete_student, CANCEL_VERB: cancel_delete_student}
