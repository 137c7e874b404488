"""Text commands for admins and nurses: ``alerts on``, ``alerts off``, ``alerts status``, ``alerts today``.

The handler calls ``alert_command`` before the agent; it returns None when the text is not an alert command.
"""

from __future__ import annotations

import re
from typing import Any

from bot.cards.elements import escape
from domain.actor import Actor
from domain.alerts.digest import DigestLine
from domain.alerts.service import AlertService

_COMMAND = re.compile(r"^/?alerts?(?:\s+(on|off|status|today))?[.!?]*$")
NOT_FOR_YOU = (
    "Safety alerts go to your school's administrators and nurse. Your serious incident reports alert them "
    "automatically."
)
NOT_SET_UP = "Safety alerts aren't set up on this Faraday yet."
HELP = "Alert commands: **alerts on**, **alerts off**, **alerts status**, **alerts today**."


async def alert_command(text: str, actor: Actor, services: Any) -> str | None:
    match = _COMMAND.match(" ".join(text.lower().split()))
    if match is None:
        return None
    alerts = getattr(services, "alerts", None)
    if not isinstance(alerts, AlertService):
        return NOT_SET_UP
    if not alerts.may_receive(actor):
        return NOT_FOR_YOU
    verb = match.group(1) or "status"
    if verb in ("on", "off"):
        changed = await alerts.set_enabled(actor, verb == "on")
        if verb == "on":
            return "Safety alerts are **on**: serious incidents at your school will reach you here."
        suffix = "" if changed else " (you had no chat with me yet)"
        return ("Safety alerts are **off** for you" + suffix + ". Your colleagues still receive them; "
                "type **alerts on** to resume.")
    if verb == "today":
        return _today(await alerts.today(actor), actor)
    return await _status(alerts, actor)


async def _status(alerts: AlertService, actor: Actor) -> str:
    sub = await alerts.status(actor)
    minutes = int(alerts.escalate_after.total_seconds() // 60)
    if sub.conversations == 0:
        state = "**on** (I'll open a chat with you when the first alert comes)"
    elif sub.enabled:
        state = "**on**"
    else:
        state = "**off** — type **alerts on** to resume"
    lines = [f"Safety alerts are {state}. Unacknowledged alerts escalate after {minutes} minutes.", HELP]
    if sub.failures:
        lines.append("Recent delivery problems at your school:")
        lines += [f"- {escape(who)}: {escape(why)}" for who, why in sub.failures]
    return "\n\n".join(lines)


def _today(lines: list[DigestLine], actor: Actor) -> str:
    if not lines:
        return f"No safety alerts today at {escape(actor.school_name)}."
    counts = {s: sum(1 for d in lines if d.state == s) for s in ("open", "escalated", "acknowledged")}
    head = (f"**Safety alerts today** at {escape(actor.school_name)}: {len(lines)} — {counts['open']} open, "
            f"{counts['escalated']} escalated, {counts['acknowledged']} acknowledged")
    return "\n\n".join([head] + [_line(d) for d in lines])


def _line(d: DigestLine) -> str:
    who = escape(d.student) if d.student else "no student"
    if d.state == "acknowledged":
        state = f"acknowledged by {escape(d.acknowledged_by or 'someone')}"
    elif d.state == "escalated":
        state = f"**escalated** (level {d.escalation_level}), not acknowledged"
    else:
        state = "**open**"
    line = f"- {d.occurred_at:%H:%M} · {d.severity.capitalize()} · {who} · incident #{d.incident_id} · {state}"
    if d.unreachable:
        line += f" · couldn't reach {escape(d.unreachable)}"
    return line
