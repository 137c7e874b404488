"""Intent rules: which tool (if any) an utterance asks for, and the slots it fills.

Order matters, most specific first: small talk, forms, scheduling, lesson requests, then anything about a named
student (a statement of what happened is an incident; a question about them is a look-up; a question about what to
do is a protocol search), class widgets, and finally protocol and curriculum questions. Keywords
(``agent.offline.cues``) are matched on a typo-repaired copy of the text; names and descriptions come from the
original; each rule's intent is built by ``agent.offline.tool_requests``, and whether the message describes a
situation is read by ``agent.offline.situations``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from agent.offline import messages, slots
from agent.offline import tool_requests as ask
from agent.offline.cues import (
    ASKS,
    CALENDAR_ASK,
    CALENDAR_READ,
    CALENDAR_WRITE,
    CLEARED,
    CURRICULUM,
    DANGLING,
    INCIDENT_CUE,
    LESSON,
    LESSON_MAKE,
    LOOKUP,
    LOOKUP_ONLY,
    MEDICAL_TYPES,
    OUT_OF_SCOPE,
    PEOPLE,
    PROTOCOL,
    QUESTION,
    RETURN_WHEN,
    SCHEDULE,
    SHOPPING,
    SPLITS,
    STRONG_PROTOCOL,
    WIDGET_ASK,
    WRITE_UP,
)
from agent.offline.exports import export_request
from agent.offline.intent import Intent
from agent.offline.names import find_student_name, leftover_name
from agent.offline.records import classify_record
from agent.offline.situations import Situation, Vectors
from agent.offline.spelling import repair
from domain.names import NameParts
from knowledge.glossary import MAY_GO_ON, WHAT_TO_DO, mentions_safety


def classify(text: str, names: list[NameParts], now: datetime, vectors: Vectors | None = None) -> Intent:
    """The message's main intent (the first of ``plan``)."""
    return plan(text, names, now, vectors)[0]


def plan(text: str, names: list[NameParts], now: datetime, vectors: Vectors | None = None) -> list[Intent]:
    """Every intent of a message, in order: a safety situation gets the protocol search (with the incident when a
    named student's incident is reported), and two requests in one message get both tools."""
    situation = Situation(text, vectors)
    whole = _with_protocol(_classify(text, names, now, situation), text, situation)
    parts = _split(text, names, now, situation)
    if parts:
        known = {(i.name, i.arguments.get("widget")) for i in whole}
        extra = [i for i in parts if (i.name, i.arguments.get("widget")) not in known]
        if extra:
            out: list[Intent] = []
            for part in parts:
                for intent in _with_protocol(part, part.arguments.get("description") or text, None):
                    if all(intent != o for o in out):
                        out.append(intent)
            return out
    return whole


def _with_protocol(intent: Intent, text: str, situation: Situation | None) -> list[Intent]:
    """Safety first: a reported injury or illness also gets the district protocol's answer, and so do equipment that is
    a hazard now ("the hoop is wobbling and kids are playing under it"; "ball #3 is flat" is only the check) and a
    student's return to play after an injury (the medical notes and the return-to-play steps)."""
    if intent.name == "check_equipment" and situation is not None and situation():
        return [intent, _search(text, situation=True)]
    if intent.name == "lookup_student" and (CLEARED.search(text) or RETURN_WHEN.search(text)) and \
            slots.incident_type(text) in MEDICAL_TYPES:  # cleared to play after an injury: the steps beside the notes
        return [intent, _search(_without(text, intent.arguments.get("query")), situation=False)]
    if intent.name != "log_incident":
        return [intent]
    kind = intent.arguments.get("incident_type")
    student = intent.arguments.get("student")
    if situation is not None and student:  # "Hannah (type 1) has gone pale and shaky"
        situation = _someone(situation, text, student)
    if kind in MEDICAL_TYPES or (kind is None and situation is not None and situation.maybe()):
        return [intent, _search(_without(text, student), situation=True)]
    return [intent]


def _without(text: str, name: str | None, instead: str = "") -> str:
    """The message without the student's name (or with ``instead`` in its place, possessive kept): the protocol search
    needs what happened, not who."""
    if not name:
        return text
    def other(match: re.Match[str]) -> str:
        return f" {instead}{'’s' if instead and match.group(1) else ''} "

    stripped = " ".join(re.sub(rf"\b{re.escape(name)}('s|’s|s)?\b", other, text, flags=re.I).split())
    return stripped if len(stripped.split()) >= 2 else text


def _someone(situation: Situation, text: str, name: str) -> Situation:
    """The message read for a situation with "a student" in the student's name's place: the name says nothing about
    what is happening, and the encoder reads a name as the scene."""
    return situation.about(_without(text, name, "a student"), part=situation.part)


def _search(text: str, *, situation: bool, kind: str = "safety") -> Intent:
    args: dict[str, Any] = {"query": text.strip()[:500], "kind": kind}
    if situation:
        args["situation"] = True
    return Intent("search_knowledge", args)


def _split(text: str, names: list[NameParts], now: datetime, situation: Situation) -> list[Intent]:
    """Two requests joined by "and", "also", "then" or a full stop: each part must be a tool request on its own."""
    pieces = [m for m in SPLITS.finditer(text)]
    for m in pieces:
        left, right = text[: m.start()].strip(" ,.;"), text[m.end():].strip(" ,.;")
        if len(left.split()) < 2 or len(right.split()) < 2:
            continue
        a = _classify(left, names, now, situation.about(left))
        b = _classify(right, names, now, situation.about(right))
        if a.name in NO_TOOL or b.name in NO_TOOL:
            continue
        if any(i.arguments.get("situation") for i in (a, b)):  # a situation is one request: see _with_protocol
            continue
        if a.name == b.name and (a.name != "run_widget" or a.arguments.get("widget") == b.arguments.get("widget")):
            continue
        return [a, b]
    return []


NO_TOOL = {"greeting", "thanks", "help", "clarify", "out_of_scope", "unknown"}


def _classify(text: str, names: list[NameParts], now: datetime, situation: Situation) -> Intent:
    keyed = repair(text)
    # A message home ("email Oliver's parents about his wrist") is a request to write, not a report of what happened
    # or a record of the day: before both. See agent/offline/messages.py.
    if messages.is_message_home(keyed):
        name, arguments = messages.message_home(text, keyed, names)
        return Intent("message_home", arguments) if arguments is not None else Intent("clarify", question=name)
    exported = None if ask.small_talk(keyed) else export_request(text, keyed, names)  # a file, not the card again
    if exported is not None:
        name, arguments = exported
        return Intent(name, question=arguments["question"]) if name == "clarify" else Intent(name, arguments)
    # Recording the day (attendance, fitness, rubric levels, equipment checks) comes first: "shooting form" is not
    # a request for forms. See agent/offline/records.py.
    recording: Intent | None = None if ask.small_talk(keyed) else classify_record(text, keyed, names, now)
    if recording is not None:
        # Safety first: "wheezing after the pacer test" is a child in trouble, not a fitness result to record. A
        # recording with entries stays one ("Kate sat out with a sore knee" is her attendance mark), and so does an
        # equipment check ("#3 is flat" goes to the other teachers as an equipment notice).
        entries = any(isinstance(v, list) and v for v in recording.arguments.values())
        if recording.name != "check_equipment" and (not entries or WHAT_TO_DO.search(keyed)) and situation():
            return _search(text, situation=True)  # "sam is wheezing after the mile ... what do i do first"
        return recording
    for rule in (ask.small_talk, ask.forms, ask.student_number):
        found = rule(keyed)
        if found:
            return found
    if SHOPPING.search(keyed):
        return Intent("out_of_scope")
    if (OUT_OF_SCOPE.search(keyed) and not (slots.widget(keyed) or slots.incident_type(keyed) or slots.activity(keyed))
            and not mentions_safety(keyed) and not situation()):
        return Intent("out_of_scope")
    if DANGLING.search(keyed) and len(keyed.split()) <= 8:
        return Intent("clarify", question="It looks like your message was cut off. What would you like to know?")
    if CALENDAR_READ.search(keyed) and CALENDAR_ASK.search(keyed) and not CALENDAR_WRITE.search(keyed):
        return ask.calendar_read(keyed, now)
    student = find_student_name(text, names)
    if student is None and MAY_GO_ON.search(keyed) and not CLEARED.search(keyed) and \
            (situation.maybe() or mentions_safety(keyed)):
        # whether to go on in a hazard ("the app shows 165, can I still do the pacer test outside", "wind chill is
        # -5, my class is outside at 9, we can go out?"): the protocol, not the fitness results or an event (a named
        # student's report is the student branch's: the incident card beside the protocol)
        return _search(text, situation=situation.maybe())
    question = bool(QUESTION.search(keyed))
    future = slots.when(keyed, now, prefer_future=True)
    if SCHEDULE.search(keyed) and (future or re.search(r"\b(schedule|book|calendar)\b", keyed, re.I)):
        return ask.schedule(text, keyed, now)
    if future and slots.time_range(keyed):  # a time range alone asks for an event; asking whether to go on at that
        # hour when the message describes a hazard ("meter's at 32.8 ... athletics is 2 till 3, can we still run it")
        # asks for the protocol
        return _search(text, situation=True) if question and situation() else ask.schedule(text, keyed, now)
    if LESSON.search(keyed) and not re.search(r"\b(lessons? learned|ideas for)\b", keyed, re.I):
        asks_safety = (question or ASKS.search(keyed)) and mentions_safety(keyed)
        if not LESSON_MAKE.search(keyed) and (situation() or asks_safety):
            # "can I still run my lesson in this heat", "the alarm's going off in the swimming lesson": the protocol
            return _search(text, situation=situation())
        return ask.lesson(keyed)
    if _lesson_request(keyed):
        return ask.lesson(keyed)
    if student:
        situation = _someone(situation, text, student)  # "a student's nose is gushing", not "nose is gushing"
        about = _about_student(text, keyed, student, question, now, situation)
        if about:
            return about
    if WRITE_UP.search(keyed):  # asking whether it must be written up is the reporting protocol's question
        if question or ASKS.search(keyed):
            return _search(text, situation=False)
        return Intent("open_form", {"form": "incident"})
    widget = slots.widget(keyed)
    strong = STRONG_PROTOCOL.search(keyed)
    if not question and not strong and situation():
        return _search(text, situation=True)
    if widget and not strong and not (question and PROTOCOL.search(keyed) and not slots.class_ref(keyed)) and \
            (WIDGET_ASK.search(keyed) or not situation.topical()):  # "a spider bit a kid in the equipment shed"
        return ask.widget(widget, keyed)
    if PROTOCOL.search(keyed) or (question and (slots.incident_type(keyed) or slots.activity(keyed))) or \
            (slots.incident_type(keyed) and re.search(r"\b(a|the) (kid|student|child)\b", keyed, re.I)):
        kind = _kind(keyed, situation)
        return _search(text, situation=kind == "safety" and situation(), kind=kind)
    if student is None and LOOKUP.search(keyed) and not re.search(r"\b(kid|student|child|someone)\b", keyed, re.I):
        leftover = leftover_name(text)
        if leftover:
            return Intent("lookup_student", ask.lookup_args(leftover, keyed))
    if situation():
        return _search(text, situation=True)
    if INCIDENT_CUE.search(keyed) and not LOOKUP.search(keyed) and situation.maybe():
        return _search(text, situation=True)  # something happened to someone unnamed: the protocol, not "who?"
    if LOOKUP.search(keyed) or widget or INCIDENT_CUE.search(keyed):
        return Intent("clarify", question="I need a little more to go on: which student or class do you mean?")
    if situation.maybe():
        return _search(text, situation=True)
    if mentions_safety(keyed):  # no rule understood it, but it speaks of a symptom, weather, water or a hazard
        return _search(text, situation=False)
    if (question or ASKS.search(keyed)) and PEOPLE.search(keyed):  # a question about students no rule understood
        return _search(text, situation=False)
    if situation.topical():  # "heard a rumble off to the west, ok to finish the last two heats?"
        return _search(text, situation=False)
    return Intent("unknown")


def _kind(keyed: str, situation: Situation) -> str:
    """Which documents a question is for: the curriculum when it speaks of teaching (drills, games, cues) and of no
    hazard, symptom or weather and does not read like something happening to someone ("can we finish the game" when
    thunder is heard is a safety question); the safety protocols otherwise."""
    if CURRICULUM.search(keyed) and not mentions_safety(keyed) and not situation.maybe():
        return "curriculum"
    return "safety"


def _lesson_request(keyed: str) -> bool:
    """A lesson asked for without the word: a grade, a length and something to teach, nothing else asked."""
    if slots.grade(keyed) is None or slots.duration_minutes(keyed) is None or slots.widget(keyed):
        return False
    if slots.class_ref(keyed) and not re.search(
            r"\b(grade|graders?|kinder\w*|freshm[ae]n|sophomores?|juniors?|seniors?)\b", keyed, re.I):
        return False
    return bool(slots.lesson_topic(keyed))


def _about_student(
    text: str, keyed: str, student: str, question: bool, now: datetime, situation: Situation,
) -> Intent | None:
    # cleared to play: the student's medical flags hold the clearance notes; after an injury, the district's
    # return-to-play steps too ("can eli play today, he had a concussion last week")
    if (CLEARED.search(keyed) and not re.search(r"\b(when can|how long|how soon)\b", keyed, re.I)) or \
            (RETURN_WHEN.search(keyed) and slots.incident_type(keyed) in MEDICAL_TYPES):
        return Intent("lookup_student", {**ask.lookup_args(student, keyed), "details": ["medical"]})
    protocol_question = question and bool(PROTOCOL.search(keyed))
    reported = INCIDENT_CUE.search(keyed) or slots.incident_type(keyed) or (not question and situation())
    if reported and not question and not LOOKUP_ONLY.search(keyed):
        return ask.incident(text, keyed, student, now)
    if protocol_question:
        return _search(text, situation=False, kind=_kind(keyed, situation))
    if question and situation.maybe() and not LOOKUP.search(keyed):
        return _search(_without(text, student), situation=True)  # "her nose is gushing, pinch it or tip her head back?"
    widget = slots.widget(keyed)
    if widget in ("fitness_trends", "participation", "attendance", "drivers_ed_progress") and not LOOKUP.search(keyed):
        return Intent("run_widget", {"widget": widget, "class": None, "student": student, "period_days": None})
    if LOOKUP.search(keyed) or question or len(keyed.split()) <= 3:
        return Intent("lookup_student", ask.lookup_args(student, keyed))
    return None
