"""The safety alert card (admins and the nurse), its acknowledged state, and the reporter's escalation notice.

Acknowledge is an ``Action.Execute`` (verb ``alert.ack``; the answer replaces the card in place) with an
``Action.Submit`` fallback for clients without universal actions. ``refresh`` lists the recipients' Teams user ids,
so every copy of the card fetches its current state ("Acknowledged by … at …") when shown.

An admin's copy also has *Start evacuation / lockdown* (verb ``alert.emergency``): it shows a confirmation card
(``emergency_confirm_card``) whose buttons (verb ``alert.emergency.start``) run the same start as the
``emergency …`` command. The nurse's copy has no such button (and the service refuses anyone but an admin).
"""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, facts, grade_label, heading, section, submit, text
from domain.alerts.types import KIND_ESCALATION, KIND_REPORTER, AlertView
from domain.emergencies.types import KINDS

ACK = "alert.ack"
REFRESH = "alert.refresh"
START_EMERGENCY = "alert.emergency"
CONFIRM_EMERGENCY = "alert.emergency.start"
START_TITLE = "Start evacuation / lockdown"
TIME = "%H:%M"
WHEN = "%a %d %b, %H:%M"


def alert_card(view: AlertView, *, can_start_emergency: bool = False, notice: str | None = None) -> dict[str, Any]:
    """``can_start_emergency``: the viewer is an admin (the button is shown); ``notice``: a line on top saying what
    the viewer's last press did (an Action.Execute answer is the card alone)."""
    if view.kind == KIND_REPORTER:
        return reporter_card(view)
    body: list[dict[str, Any]] = [heading(f"{view.severity.capitalize()} incident — {view.school_name}")]
    if notice:
        body.append(_banner(notice, "accent"))
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
    if can_start_emergency:
        actions.append(_execute(START_TITLE, START_EMERGENCY, {"alert_id": view.alert_id}, style="destructive"))
    content = card(body, actions)
    content["refresh"] = {
        "action": {"type": "Action.Execute", "verb": REFRESH, "data": {"action": REFRESH, "alert_id": view.alert_id}},
        "userIds": list(view.refresh_user_ids),
    }
    content["msteams"] = {"width": "Full"}
    return content


def acknowledge_action(alert_id: int) -> dict[str, Any]:
    return _execute("Acknowledge", ACK, {"alert_id": alert_id}, style="positive")


def emergency_confirm_card(view: AlertView) -> dict[str, Any]:
    """The confirmation before an admin starts a real emergency from an alert card: one button per kind, and Back."""
    body = [
        heading(f"Start an emergency at {view.school_name}?"),
        text("This starts a real emergency, not a drill. Every teacher with a class in session now gets a card to "
             "account for their students, and every administrator gets the roll-up. Give the all clear to end it."),
        facts([("From", f"{view.severity.capitalize()} incident #{view.incident_id} — {view.location}")]),
        text("Drills are started by command, e.g. evacuation drill for period 3.", subtle=True),
    ]
    actions = [_execute(f"Start {KINDS[kind].lower()} now", CONFIRM_EMERGENCY,
                        {"alert_id": view.alert_id, "kind": kind, "confirmed": "yes"}, style="destructive")
               for kind in KINDS]
    actions.append(_execute("Back to the alert", REFRESH, {"alert_id": view.alert_id}))
    return card(body, actions)


def _execute(title: str, verb: str, data: dict[str, Any], *, style: str | None = None) -> dict[str, Any]:
    """An Action.Execute with an Action.Submit fallback carrying the same data (clients without universal actions)."""
    payload = {"action": verb, **data}
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb, "data": payload,
                              "fallback": {"type": "Action.Submit", "title": title, "data": payload}}
    if style:
        action["style"] = style
    return action


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
