"""The read-only confirmation that replaces a saved event form (with the .ics download in local mode), the card
shown after an event is cancelled, and the today / this-week list."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.cards.elements import card, escape, facts, heading, text
from domain.calendar.backend import Busy
from domain.calendar.times import describe
from domain.events import SavedEvent

REMOVE = "event.remove"
LIST = "event.list"


def event_saved_card(saved: SavedEvent) -> dict[str, Any]:
    where = "your Outlook calendar" if saved.mode == "outlook" else "the Faraday calendar"
    cancelled = saved.status == "cancelled"
    body = [
        heading(f"Event cancelled: {saved.title}" if cancelled else f"Event saved to {where}"),
        facts([
            ("What", saved.title),
            ("When", f"{describe(saved.start)} – {saved.end:%H:%M} ({saved.time_zone})"),
            ("Where", saved.location or "—"),
            ("Invited", _people(len(saved.attendees))),
        ]),
    ]
    actions: list[dict[str, Any]] = []
    if not cancelled:
        if saved.mode == "outlook":
            body.append(text("Invitations were sent from your Outlook calendar.", subtle=True))
        if saved.ics_url:
            body.append(text("Add it to any calendar app with the .ics file (the link expires).", subtle=True))
            actions.append({"type": "Action.OpenUrl", "title": "Download .ics", "url": saved.ics_url})
        actions.append(_execute("Cancel event", REMOVE, {"event_id": saved.id}))
    actions.append(_execute("This week", LIST, {"span": "week"}))
    return card(body, actions)


def event_list_card(span: str, items: list[Busy], day: date | None = None) -> dict[str, Any]:
    if span == "day" and day is not None:
        heading_text = f"Events on {day:%A, %b} {day.day}"
    else:
        heading_text = f"{ {'today': 'Today', 'tomorrow': 'Tomorrow'}.get(span, 'This week')}'s events"
    body: list[dict[str, Any]] = [heading(heading_text)]
    if not items:
        body.append(text("Nothing scheduled."))
    for item in items[:30]:
        where = f" · {escape(item.location)}" if item.location else ""
        body.append({"type": "TextBlock", "wrap": True, "spacing": "Small",
                     "text": f"**{escape(describe(item.start))} – {item.end:%H:%M}** {escape(item.title)}{where}"})
    other = "week" if span == "today" else "today"
    return card(body, [_execute("This week" if other == "week" else "Today", LIST, {"span": other})])


def _people(count: int) -> str:
    return "nobody" if count == 0 else "1 person" if count == 1 else f"{count} people"


def _execute(title: str, verb: str, extra: dict[str, Any]) -> dict[str, Any]:
    data = {"action": verb, **extra}
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data, "associatedInputs": "none",
            "fallback": {"type": "Action.Submit", "title": title, "data": data, "associatedInputs": "none"}}
