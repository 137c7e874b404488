"""Admin text commands for emergencies: ``emergency evacuation|lockdown|severe weather`` (a real one, classes in
session by the bell schedule, or ``… for period 3``), ``evacuation drill for period 3`` (a drill; lockdown and severe
weather drills too), ``all clear``, ``emergency status``. The handler calls ``emergency_command`` before the agent;
None means the text is not one of these. Authorization is the service's (admins only)."""

from __future__ import annotations

import re

from bot.cards.elements import escape
from domain.actor import Actor
from domain.emergencies.service import EmergencyService
from domain.emergencies.types import KINDS, RollUp
from domain.errors import DomainError
from domain.models import Role
from tools.base import EmergenciesAccess

VIA = "command:emergency"
_KIND = r"(evacuation|lockdown|severe[ -]weather)"
_PERIOD = r"(?:\s+(?:for\s+)?period\s+([a-z0-9-]{1,20}))?"
_REAL = re.compile(rf"^/?emergency\s+{_KIND}{_PERIOD}[.!]*$")
_DRILL = re.compile(rf"^/?(?:emergency\s+)?{_KIND}\s+drill{_PERIOD}[.!]*$")
_CLEAR = re.compile(r"^/?all[ -]?clear[.!]*$")
_STATUS = re.compile(r"^/?emergency(?:\s+status)?[.?!]*$")
NOT_ADMIN = ("Emergencies and drills are started by your school's administrators; when one starts, the card for "
             "your class arrives in this chat. If someone is hurt or in danger now, call 911 and the office.")
NOT_SET_UP = "Emergency accountability isn't set up on this Faraday yet."
HELP = ("Emergency commands (administrators): **emergency evacuation**, **emergency lockdown**, **emergency severe "
        "weather** (add *for period 3* to name the period), **evacuation drill for period 3**, **all clear**, "
        "**emergency status**.")


async def emergency_command(text: str, actor: Actor, services: EmergenciesAccess) -> str | None:
    said = " ".join(text.lower().split())
    real, drill = _REAL.match(said), _DRILL.match(said)
    clear, status = _CLEAR.match(said), _STATUS.match(said)
    if not (real or drill or clear or status):
        return None
    service = services.emergencies
    if service is None:
        return NOT_SET_UP
    try:
        if real or drill:
            match = real or drill
            assert match is not None
            return await start_emergency(service, actor, match.group(1), drill=drill is not None,
                                         period=match.group(2), via=VIA)
        if clear:
            return await _all_clear(service, actor)
        return await _status(service, actor)
    except DomainError as exc:
        return str(exc)


async def start_emergency(service: EmergencyService, actor: Actor, kind: str, *, drill: bool, period: str | None,
                          via: str, reason: str | None = None) -> str:
    """Start one (the command's and the alert card's way alike) and say what happened."""
    started = await service.start(actor, kind.replace("-", " "), drill=drill, period=period, via=via, reason=reason)
    name = KINDS[started.kind] + (" drill" if started.drill else "")
    where = f" for period {escape(started.period)}" if started.period else ""
    if not started.created:
        return (f"A {name.lower()}{where} is already under way; nothing new was started. Type **emergency status** "
                "for the roll-up or **all clear** to close it.")
    if not started.classes:
        return (f"**{name}{where}** started. No class is in session, so no teacher was asked to account for "
                "students. Type **all clear** to close it.")
    return (f"**{name}{where}** started: {started.classes} class(es) in session; {started.teachers} teacher(s) are "
            "getting a card to account for their students. Your roll-up card is on its way and updates as they "
            "answer. Type **all clear** to close it.")


async def _all_clear(service: EmergencyService, actor: Actor) -> str:
    closed = await service.all_clear(actor, via=VIA)
    if not closed.closed_now:
        return "No emergency is open at your school; nothing was changed."
    return "**All clear** given. Every card now shows it, and the record is kept with its times."


async def _status(service: EmergencyService, actor: Actor) -> str:
    if actor.role is not Role.admin:
        return NOT_ADMIN
    view = await service.status(actor, via=VIA)
    if view is None:
        return "No emergency or drill has been started at your school.\n\n" + HELP
    return status_text(view)


def status_text(view: RollUp) -> str:
    head = view.header
    state = (f"closed by {escape(head.closed_by or 'an administrator')} at {head.closed_at:%H:%M}" if head.closed_at
             else "**open**")
    lines = [f"**{escape(head.title)}** — started {head.started_at:%a %d %b %H:%M} by {escape(head.started_by)}, "
             f"{state}.",
             f"Classes accounted for: {view.answered} of {len(view.classes)} · students unaccounted for: "
             f"{view.unaccounted} · missing {len(view.missing)} · injured {len(view.injured)} · found {view.found}"]
    for c in view.unanswered:
        lines.append(f"- {escape(c.class_name)} ({escape(c.teacher)}): **not answered** — {c.enrolled} students")
    for s in view.missing:
        lines.append(f"- Missing: {escape(s.name)} — {escape(s.class_name)}, since {s.since:%H:%M}")
    return "\n\n".join(lines)
