"""The safety alert card (admins and the nurse), its acknowledged state, and the reporter's escalation notice.

Acknowledge is an ``Action.Execute`` (verb ``alert.ack``; the answer replaces the card in place) with an
``Action.Submit`` fallback for clients without universal actions. ``refresh`` lists the recipients' Teams user ids,
so every copy of the card fetches its current state ("Acknowledged by … at …") when shown.
"""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, facts, grade_label, heading, section, submit, text
from domain.alerts.types import KIND_ESCALATION, KIND_REPORTER, AlertView

ACK = "alert.ack"
REFRESH = "alert.refresh"
TIME = "%H:%M"
WHEN = "%a %d %b, %H:%M"


def alert_card(view: AlertView) -> dict[str, Any]:
    if view.kind == KIND_REPORTER:
        return reporter_card(view)
    body: list[dict[str, Any]] = [heading(f"{view.severity.capitalize()} incident — {view.school_name}")]
    if view.kind == KIND_ESCALATION and not view.acknowledged:
        body.append(_banner("Escalated to you: nobody acknowledged this alert in time.", "attention"))
    body.append(facts(_facts(view)))
    body.append(text(view.description))
    if view.injuries:
        body.append(section("Injuries", [view.injuries]))
    body.append(section("Actions taken", [view.action_taken or "None recorded"]))
    if view.medical_flags:
        body.append(section("Medical flags", list(view.medical_flags), style="warning"))
    if view.failures:
        body.append(section("Couldn't reach", [f"{f.name}: {f.reason}" for f in view.failures], style="attention"))
    if view.escalated_to:
        body.append(text("Escalated to " + ", ".join(view.escalated_to), subtle=True))
    actions: list[dict[str, Any]] = []
    if view.acknowledged and view.acknowledged_at is not None:
        body.append(_banner(f"Acknowledged by {view.acknowledged_by} at {view.acknowledged_at.strftime(TIME)}", "good"))
    else:
        actions.append(acknowledge_action(view.alert_id))
    if view.student_number:
        actions.append(submit("View student", "lookup_student", query=view.student_number))
    content = card(body, actions)
    content["refresh"] = {
        "action": {"type": "Action.Execute", "verb": REFRESH, "data": {"action": REFRESH, "alert_id": view.alert_id}},
        "userIds": list(view.refresh_user_ids),
    }
    content["msteams"] = {"width": "Full"}
    return content


def acknowledge_action(alert_id: int) -> dict[str, Any]:
    data = {"action": ACK, "alert_id": alert_id}
    return {
        "type": "Action.Execute",
        "title": "Acknowledge",
        "verb": ACK,
        "data": data,
        "style": "positive",
        "fallback": {"type": "Action.Submit", "title": "Acknowledge", "data": data},
    }


def reporter_card(view: AlertView) -> dict[str, Any]:
    who = view.student_name or "no student"
    if view.acknowledged and view.acknowledged_at is not None:
        line = (f"Your report of incident #{view.incident_id} ({who}) was acknowledged by {view.acknowledged_by} "
                f"at {view.acknowledged_at.strftime(TIME)}.")
    else:
        line = (f"Your report of incident #{view.incident_id} ({who}, {view.severity}) has not been acknowledged yet, "
                f"so it was escalated to {', '.join(view.escalated_to) or 'the next administrator'}.")
    return card([heading("Safety alert escalated"), text(line),
                 text("If the student still needs help, call the office or 911 — don't wait for a reply here.",
                      subtle=True)])


def summary(view: AlertView) -> str:
    """The notification preview line (no health details)."""
    who = view.student_name or "no student named"
    return f"{view.severity.capitalize()} incident: {who} — {view.school_name}"


def _facts(view: AlertView) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if view.student_name:
        grade = f", grade {grade_label(view.student_grade)}" if view.student_grade is not None else ""
        pairs.append(("Student", f"{view.student_name}{grade} (#{view.student_number})"))
    pairs += [
        ("Severity", view.severity.capitalize()),
        ("What", view.incident_type.replace("_", " ").capitalize()),
        ("When", view.occurred_at.strftime(WHEN)),
        ("Where", f"{view.location} — {view.activity}"),
        ("Reported by", view.reporter_name),
        ("Incident", f"#{view.incident_id}"),
        ("Why you got this", view.reason),
    ]
    return pairs


def _banner(message: str, style: str) -> dict[str, Any]:
    return {"type": "Container", "style": style, "items": [text(message)]}
