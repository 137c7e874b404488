"""Emergency cards. Every copy carries ``refresh`` (universal actions) with its recipient's Teams user id, so
whoever looks at it gets their own current view: a teacher their class (roster, *All here* in one tap, or students
marked missing / injured, or a student from another class *With me*); an admin the roll-up (a tally per class, the
students unaccounted for, *Found*, *All clear*). Names only: no health details or contacts on these cards."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, escape, facts, heading, section, text
from domain.emergencies.types import ClassCard, EmergencyView, Header, RollUp, TeacherView

ALL_HERE = "emergency.all_here"
REPORT = "emergency.report"
WITH_ME = "emergency.with_me"
FOUND = "emergency.found"
ALL_CLEAR = "emergency.all_clear"
REFRESH = "emergency.refresh"
TIME = "%H:%M"
MAX_LISTED = 25  # students listed by name on the roll-up (the rest are counted)
STATUS = {"unanswered": "not answered yet", "all_here": "all here", "partial": "answered with marks"}


def emergency_card(view: EmergencyView) -> dict[str, Any]:
    content = roll_up_card(view) if isinstance(view, RollUp) else teacher_card(view)
    content["refresh"] = {"action": _execute("Refresh", REFRESH, emergency_id=view.header.emergency_id),
                          "userIds": list(view.refresh_user_ids)}
    content["msteams"] = {"width": "Full"}
    return content


def summary(view: EmergencyView) -> str:
    """The notification preview line (no student names)."""
    if isinstance(view, RollUp):
        return f"{view.header.title}: {view.answered} of {len(view.classes)} classes accounted for"
    names = ", ".join(c.class_name for c in view.classes) or "your classes"
    return f"{view.header.title}: account for {names}"


def teacher_card(view: TeacherView) -> dict[str, Any]:
    head = view.header
    body: list[dict[str, Any]] = [heading(head.title), _started(head)]
    if head.closed:
        body.append(_closed(head))
    elif view.reminder and any(c.status == "unanswered" for c in view.classes):
        body.append(_banner("Reminder: your class hasn't been accounted for yet. Tap All here, or mark who is "
                            "missing or injured.", "attention"))
    for cls in view.classes:
        body.append(_class_section(head, cls, view))
    if not view.classes:
        body.append(text("You have no class in this emergency."))
    return card(body)


def _class_section(head: Header, cls: ClassCard, view: TeacherView) -> dict[str, Any]:
    answered = f" at {cls.answered_at.strftime(TIME)}" if cls.answered_at else ""
    marked = {s.student_id: s.mark for s in cls.students}
    missing = [s for s in cls.students if s.mark == "missing"]
    injured = [s for s in cls.students if s.mark == "injured"]
    items: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": f"{escape(cls.class_name)} — {escape(cls.location)}", "weight": "Bolder",
         "wrap": True},
        text(f"{len(cls.students)} students · {STATUS.get(cls.status, cls.status)}{answered}", subtle=True),
    ]
    if missing:
        items.append(section("Missing", [s.name for s in missing], style="attention"))
    if injured:
        items.append(section("Injured", [s.name for s in injured], style="warning"))
    if head.closed:
        return {"type": "Container", "separator": True, "items": items}
    choices = [{"title": s.name, "value": str(s.student_id)} for s in cls.students]
    items += [
        {"type": "Input.ChoiceSet", "id": f"missing_{cls.class_id}", "label": "Missing", "isMultiSelect": True,
         "choices": choices, "value": ",".join(str(s.student_id) for s in missing), "placeholder": "Nobody"},
        {"type": "Input.ChoiceSet", "id": f"injured_{cls.class_id}", "label": "Injured", "isMultiSelect": True,
         "choices": choices, "value": ",".join(str(s.student_id) for s in injured), "placeholder": "Nobody"},
        {"type": "ActionSet", "actions": [
            _execute("All here", ALL_HERE, style="positive", emergency_id=head.emergency_id, class_id=cls.class_id),
            _execute("Report marks", REPORT, emergency_id=head.emergency_id, class_id=cls.class_id),
        ]},
    ]
    others = [s for s in view.missing_elsewhere if s.student_id not in marked]
    if others:
        items += [
            {"type": "Input.ChoiceSet", "id": f"with_me_{cls.class_id}", "label": "Reported missing elsewhere — "
             "is one with you?", "choices": [{"title": f"{s.name} ({s.class_name})", "value": str(s.student_id)}
                                             for s in others]},
            {"type": "ActionSet", "actions": [
                _execute("With me", WITH_ME, emergency_id=head.emergency_id, class_id=cls.class_id)]},
        ]
    return {"type": "Container", "separator": True, "items": items}


def roll_up_card(view: RollUp) -> dict[str, Any]:
    head = view.header
    body: list[dict[str, Any]] = [heading(head.title), _started(head)]
    if head.closed:
        body.append(_closed(head))
    elif view.escalated and view.unanswered:
        body.append(_banner(f"Escalated: {len(view.unanswered)} class(es) haven't answered after a reminder.",
                            "attention"))
    body.append(facts([
        ("Classes accounted for", f"{view.answered} of {len(view.classes)}"),
        ("Students unaccounted for", str(view.unaccounted)),
        ("Missing", str(len(view.missing))),
        ("Injured", str(len(view.injured))),
        ("Found", str(view.found)),
    ]))
    lines = []
    for c in view.classes:
        at = f" at {c.answered_at.strftime(TIME)}" if c.answered_at else ""
        extra = "".join(f", {n} {label}" for n, label in ((c.missing, "missing"), (c.injured, "injured"),
                                                           (c.with_other_teacher, "with another teacher")) if n)
        lines.append(f"{c.class_name} · {c.teacher} · {c.enrolled} students · {STATUS[c.status]}{at}{extra}")
    body.append(section("Classes", lines or ["No class was in session."]))
    if view.unanswered:
        body.append(section("Not yet accounted for", [f"{c.class_name} ({c.teacher}): {c.enrolled} students"
                                                       for c in view.unanswered], style="warning"))
    if view.missing:
        rows: list[dict[str, Any]] = [{"type": "TextBlock", "text": "Missing students", "weight": "Bolder"}]
        for s in view.missing[:MAX_LISTED]:
            row = text(f"{s.name} — {s.class_name} ({s.teacher}), since {s.since.strftime(TIME)}")
            if head.closed:
                rows.append(row)
            else:
                rows.append({"type": "ColumnSet", "columns": [
                    {"type": "Column", "width": "stretch", "items": [row]},
                    {"type": "Column", "width": "auto", "items": [{"type": "ActionSet", "actions": [
                        _execute("Found", FOUND, emergency_id=head.emergency_id, student_id=s.student_id)]}]},
                ]})
        if len(view.missing) > MAX_LISTED:
            rows.append(text(f"…and {len(view.missing) - MAX_LISTED} more", subtle=True))
        body.append({"type": "Container", "style": "attention", "items": rows})
    if view.injured:
        body.append(section("Injured", [f"{s.name} — {s.class_name} ({s.teacher})"
                                        for s in view.injured[:MAX_LISTED]], style="warning"))
    actions = [] if head.closed else [_execute("All clear", ALL_CLEAR, emergency_id=head.emergency_id)]
    return card(body, actions)


def _started(head: Header) -> dict[str, Any]:
    return text(f"{head.school_name} · started by {head.started_by} at {head.started_at.strftime(TIME)}", subtle=True)


def _closed(head: Header) -> dict[str, Any]:
    at = head.closed_at.strftime(TIME) if head.closed_at else ""
    return _banner(f"All clear given by {head.closed_by or 'an administrator'} at {at}.", "good")


def _banner(message: str, style: str) -> dict[str, Any]:
    return {"type": "Container", "style": style, "items": [text(message)]}


def _execute(title: str, verb: str, *, style: str | None = None, **data: Any) -> dict[str, Any]:
    payload = {"action": verb, **data}
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb, "data": payload,
                              "fallback": {"type": "Action.Submit", "title": title, "data": payload}}
    if style:
        action["style"] = style
    return action
