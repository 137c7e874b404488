"""The intent each planner rule builds: small talk, forms, a look-up's arguments, an incident, a widget, a lesson, a
calendar read, an event, with their slots filled from the message (``agent.offline.slots``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from agent.offline import slots
from agent.offline.cues import (
    BARE_FORM,
    CONTACT,
    FORM_KIND,
    FORM_WORDS,
    GREETING,
    HELP,
    MEDICAL,
    STUDENT_NUMBER,
    THANKS,
)
from agent.offline.intent import Intent


def small_talk(text: str) -> Intent | None:
    for name, pattern in (("greeting", GREETING), ("thanks", THANKS), ("help", HELP)):
        if pattern.match(text):
            return Intent(name)
    return None


def forms(text: str) -> Intent | None:
    for kind, pattern in BARE_FORM:
        if pattern.match(text):
            return Intent("open_form", {"form": kind})
    if not FORM_WORDS.search(text):
        return None
    for kind, pattern in FORM_KIND:
        if pattern.search(text):
            return Intent("open_form", {"form": kind})
    return Intent("open_form", {"form": None})


def student_number(text: str) -> Intent | None:
    number = STUDENT_NUMBER.search(text)
    return Intent("lookup_student", lookup_args(number.group(0).upper(), text)) if number else None


def lookup_args(query: str, text: str) -> dict[str, Any]:
    details = []
    if MEDICAL.search(text):
        details.append("medical")
    if CONTACT.search(text):
        details.append("emergency_contact")
    return {"query": query, "class": slots.class_ref(text), "details": details}


def incident(text: str, keyed: str, student: str, now: datetime) -> Intent:
    at = slots.when(keyed, now, prefer_future=False)
    return Intent(
        "log_incident",
        {
            "student": student,
            "description": text.strip()[:4000],
            "severity": slots.severity(keyed),
            "incident_type": slots.incident_type(keyed),
            "activity": slots.activity(keyed),
            "location": slots.location(keyed),
            "occurred_at": at.isoformat() if at and at <= now else None,
            "action_taken": None,
        },
    )


def widget(widget: str, keyed: str) -> Intent:
    arguments: dict[str, Any] = {"widget": widget, "class": slots.class_ref(keyed), "student": None,
                                 "period_days": None}
    if widget == "teams":
        arguments["team_count"] = slots.team_count(keyed)
    return Intent("run_widget", arguments)


def lesson(keyed: str) -> Intent:
    grade = slots.grade(keyed)
    topic = slots.lesson_topic(keyed)
    if grade is None and not topic:
        return Intent("open_form", {"form": "lesson"})
    if grade is None or not topic:
        missing = "the grade" if grade is None else "the topic"
        return Intent("clarify", question=f"I can plan that lesson — I just need {missing}. "
                                          "For example: *plan a 45 minute volleyball lesson for grade 7*.")
    return Intent("plan_lesson", {"grade": grade, "topic": topic, "duration_minutes": slots.duration_minutes(keyed),
                                  "equipment": None, "class": slots.class_ref(keyed)})


def calendar_read(keyed: str, now: datetime) -> Intent:
    """"What's on my calendar tomorrow?" reads the calendar; it never proposes an event. A named day ("on Thursday",
    "next Tuesday", "Dec 12", "12/12") reads that day (``slots.day``: the coming one, or the past one after "last" /
    "was" / "did"); else "tomorrow", "this week", or today."""
    past = re.search(r"\b(last|was|were|did|had)\b", keyed, re.I) is not None
    named = slots.day(keyed, now, prefer_future=not past)
    today = now.date()
    if named is not None and named not in (today, today + timedelta(days=1)):
        return Intent("read_calendar", {"span": "day", "day": named.isoformat()})
    if named == today + timedelta(days=1):
        span = "tomorrow"
    elif named is None and re.search(r"\bweek\b", keyed, re.I):
        span = "week"
    else:
        span = "today"
    return Intent("read_calendar", {"span": span, "day": None})


def schedule(text: str, keyed: str, now: datetime) -> Intent:
    start = slots.when(keyed, now, prefer_future=True)
    if start is None:
        if slots.event_title(text).lower() in ("something", "meeting", "event", "an event"):
            return Intent("open_form", {"form": "event"})
        return Intent("clarify", question="When should it be? For example: *next Tuesday at 3:30pm*.")
    return Intent("schedule_event", {"title": slots.event_title(text), "start": start.isoformat(),
                                     "duration_minutes": slots.duration_minutes(keyed) or slots.range_minutes(keyed),
                                     "location": slots.location(keyed),
                                     "attendees": [], "class": slots.class_ref(keyed)})
