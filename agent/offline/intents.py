"""Intent rules: which tool (if any) an utterance asks for, and the slots it fills.

Order matters, most specific first: small talk, forms, scheduling, lesson requests, then anything about a named
student (a statement of what happened is an incident; a question about them is a look-up; a question about what to
do is a protocol search), class widgets, and finally protocol and curriculum questions. Keywords are matched on a
typo-repaired copy of the text; names and descriptions come from the original."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.offline import messages, slots
from agent.offline.exports import export_request
from agent.offline.names import find_student_name, leftover_name
from agent.offline.records import classify_record
from agent.offline.spelling import repair
from domain.names import NameParts
from knowledge.glossary import WHAT_TO_DO, mentions_safety

GREETING = re.compile(r"^\s*(hi|hello|hey|hiya|good (morning|afternoon|evening)|howdy|yo)\b"
                      r"[\s!.,]*(there|faraday)?[\s!.]*$", re.I)
THANKS = re.compile(r"^\s*(thanks|thank you|thx|ty|cheers|great,? thanks|perfect|awesome|got it)\b"
                    r"[\s!.,]*(so much|faraday)?[\s!.]*$", re.I)
HELP = re.compile(r"^\s*(help|\?|commands|menu|what can you do|what do you do|"
                  r"how do (i|you) use (you|this|faraday)( \w+)?)\s*[?!.]*\s*$", re.I)
STUDENT_NUMBER = re.compile(r"\b[Ss]\d{4,9}\b")
FORM_WORDS = re.compile(r"\b(forms?)\b", re.I)
FORM_KIND = [("incident", re.compile(r"\b(incident|injury|accident)\b", re.I)),
             ("lesson", re.compile(r"\blesson\b", re.I)),
             ("event", re.compile(r"\b(event|meeting|calendar)\b", re.I))]
BARE_FORM = [
    ("incident", re.compile(r"^\s*(i (need|want|have) to |can you |please |let'?s )?"
                            r"(log|report|file|record|write up|document|new|start)"
                            r"( an?| the| new)? (incident|injury|accident)( report)?\s*[.!?]*\s*$", re.I)),
    ("lesson", re.compile(r"^\s*(i (need|want) to |can you |please )?(plan|request|make|create|new)( me)?( an?| the)? "
                          r"lesson( plan)?\s*[.!?]*\s*$|^\s*i want to request a lesson plan\s*[.!?]*$", re.I)),
    ("event", re.compile(r"^\s*(i (need|want) to |can you |please )?(schedule|create|add|new|make)( an?| the)? "
                         r"(event|something|meeting)( to (the|my) calendar)?\s*[.!?]*\s*$", re.I)),
]
WRITE_UP = re.compile(r"\b(write (it|this) up|need to (report|log|document) (it|this)|"
                      r"fill out an? (incident|accident) report)\b", re.I)
QUESTION = re.compile(r"^\s*(what|how|when|why|where|which|should|can|could|is|are|do|does|who|whos|who's|any)\b|"
                      r"\?\s*$|"
                      r"\b(what (stage|should|do)|should (she|he|they|i|we)|when can)\b", re.I)
DANGLING = re.compile(r"\b(on|about|of|the|my|an?)\s*$", re.I)
STRONG_PROTOCOL = re.compile(r"\b(protocol|procedure|policy|policies|progressions?|cues|how often|guidelines?)\b", re.I)
PROTOCOL = re.compile(
    r"\b(protocol|procedure|policy|guideline\w*|rules?|what (do|should) (i|we)|how (do|should) (i|we|you)|steps|"
    r"return to (play|learn)|signs? of|symptoms|first aid|when can (she|he|they)|how long|is it safe|safe to|too hot|"
    r"too cold|heat index|wbgt|aqi|air quality|lightning|thunder|cpr|aed|epi-?pen|concussion protocol|what now|"
    r"should i (move|call|keep|send|let)|cues?|progressions?|outcomes?|standards?|rubric|exit ticket|ideas? for|basics|"
    r"strateg\w+|lead[- ]up games|how to teach|teaching cues|evacuat\w*|lockdown|fire drill|need gloves|"
    r"calculate|how many .* (need|required)|set up the|how often|give a (kid|student)|medication|tylenol|ibuprofen|"
    r"field trip)\b",
    re.I,
)
CURRICULUM = re.compile(r"\b(cues?|progressions?|outcomes?|standards?|teach\w*|unit|rubric|exit ticket|drills?|games?|"
                        r"ideas?|assessment ideas|strateg\w+|basics|heart rate|fitnessgram|pacer test protocol|"
                        r"behind the wheel hours|kitchen rule|adapting|sportsmanship|map reading|warm ?up ideas)\b",
                        re.I)
LOOKUP = re.compile(
    r"\b(show( me)?|look ?up|find|pull up|who is|whos|who's|tell me about|info(rmation)? (on|about|for)|profile|"
    r"details (on|for|about)|student card|emergency contact|allerg\w*|medical|health|"
    r"contact (info )?for|what (class|grade|period)|which (class|period)|is \w+ in my|who do i call|"
    r"guardian|parents?'? (phone|number|contact)|phone|number)\b",
    re.I,
)
MEDICAL = re.compile(r"\b(allerg\w*|medical|health|asthma|inhaler|epi-?pen|diabet\w*|conditions?|flags?|meds|"
                     r"medication|note on file)\b", re.I)
CONTACT = re.compile(r"\b(emergency contact|contact|parents?|guardians?|mom|dad|phone|number|call home|"
                     r"who do i call)\b", re.I)
LESSON = re.compile(r"\blesson\b", re.I)
LESSON_MAKE = re.compile(r"\b(plan|make|create|write|build|design|give me|need|want|ideas?)\b", re.I)
ASKS = re.compile(r"\?|\b(do|can|should|could|may|must|is|are) (we|i|they|he|she|you|it)\b", re.I)
PEOPLE = re.compile(r"\b(kids?|students?|child(ren)?|boys?|girls?|athletes?|players?|swimmers?|runners?|wrestlers?|"
                    r"class|team|squad|graders?|freshm[ae]n|sophomores?|juniors?|seniors?|pe|gym|practice|recess)\b",
                    re.I)
SCHEDULE = re.compile(r"\b(schedule|book|set up (a|an)|set an? (meeting|call)|calendar|block off|remind me|arrange|"
                      r"reserve|mtg|meeting|conference|tryouts|orientation|night)\b", re.I)
CALENDAR_READ = re.compile(
    r"\b(on my (calendar|schedule|agenda)|my (calendar|schedule|agenda|meetings|events)|"
    r"(do|have) i (have|got) (any(thing)?|a|\w+)? ?(meetings?|events?|on)\b|am i (free|busy))", re.I)
CALENDAR_ASK = re.compile(r"^\s*(what|whats|what's|show|list|check|read|tell me|do|am|have|any|is there|"
                          r"open|pull up|give me)\b|\?\s*$", re.I)
CALENDAR_WRITE = re.compile(r"\b(schedule (a|an|the|my)|book|add|create|put|set up|block( off)?|make|new|invite|"
                            r"move|cancel|reschedule)\b", re.I)
INCIDENT_CUE = re.compile(
    r"\b(rolled|sprained|twisted|fell|hurt|injured|cut|scraped|bled|bleeding|collided|crashed|hit|broke|dropped|"
    r"fainted|passed out|threw up|vomited|got hit|banged|bumped|jammed|pulled|tripped|slipped|landed|dislocated|"
    r"had an? (asthma attack|allergic reaction|seizure|nosebleed|accident)|"
    r"got (hurt|injured|a nosebleed|stung|hives|heat)|"
    r"was (wheezing|dizzy|stung|bitten|unconscious|knocked out)|felt (dizzy|sick|faint)|punched|pushed|fought|"
    r"fistfight|fight|swore|chucked|kicked|knocked out|took a .* to the|almost|hyperventilating|incident:|"
    r"log an incident|report)\b",
    re.I,
)
OUT_OF_SCOPE = re.compile(r"\b(weather|joke|capital of|recipe|stocks?|bitcoin|poem|essay|report card comments?|"
                          r"homework|translate|movie|song|score|who won|news|president|printer|netflix|wifi|password|"
                          r"lunch menu|payroll|salary|parking)\b", re.I)
SHOPPING = re.compile(r"\b(amazon|order (\d+ )?(new )?\w+ (off|from|on)|buy me|purchase|place an order)\b", re.I)
WIDGET_ASK = re.compile(r"\b(how (is|are|many|has|'s)|show|list|who|whos|which|any|what|make|create|split|give me|"
                        r"summar\w*|trend\w*|breakdown|report|status|check|need|insights|overview|due)\b", re.I)


@dataclass(frozen=True, slots=True)
class Intent:
    name: str  # a tool name, or greeting | thanks | help | clarify | out_of_scope | unknown
    arguments: dict[str, Any] = field(default_factory=dict)
    question: str | None = None  # for clarify


CLEARED = re.compile(r"\b(cleared|clearance|allowed back|back (in|to) (games|pe|gym|class|practice)|"
                     r"(can|could|is) \w+( \w+)? (play|participate|do contact)|ok(ay)? to (play|participate)|"
                     r"play (again|today|contact)|still restricted|participate fully|full (activity|participation)|"
                     r"come back to (pe|gym))\b", re.I)
LESSON_ASK = re.compile(r"\b(something|activit\w*|session|stations?|intro|unit|circuit|games?|drills?|skills?|"
                        r"put together|design|write up|give me|need|could i do|ideas?|period|class)\b", re.I)
MEDICAL_TYPES = {"injury", "head_injury", "allergic_reaction", "breathing", "illness", "near_miss", "other"}
SPLITS = re.compile(r"(?:\s*[.;!?]\s+|,\s*(?:and\s+)?(?:also|then|plus)\s+|\s+(?:and\s+)?(?:also|then)\s+|"
                    r",?\s+and\s+)", re.I)
STRONG = {"schedule_event", "plan_lesson", "open_form"}


class NeedsVector(Exception):  # a request, not an error
    """Raised by a deferring ``Vectors`` for a text it has no embedding of: the caller embeds it off the event loop
    and plans again (planning is pure and takes about a millisecond)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Vectors:
    """The MiniLM vectors of the texts a plan asked about: given, embedded on demand, or (``defer``) requested from
    the caller with ``NeedsVector``."""

    def __init__(self, known: dict[str, Any] | None = None, *, defer: bool = False) -> None:
        self.known = {} if known is None else known
        self.defer = defer

    def __call__(self, text: str) -> Any:
        vector = self.known.get(text)
        if vector is None:
            if self.defer:
                raise NeedsVector(text)
            from knowledge import situations

            vector = self.known[text] = situations.embed(text)
        return vector


class Situation:
    """Lazily asks whether the message describes something happening now. A message made only of request words
    (``agent.offline.situations.possible``) is not one, without the encoder; otherwise the nearest-example detector
    (``knowledge.situations``) decides on the text's MiniLM vector, asked for only when a rule needs the answer."""

    def __init__(self, text: str, vectors: Vectors | None = None) -> None:
        self.text = text
        self.vectors = vectors if vectors is not None else Vectors()
        self._value: bool | None = None

    def about(self, text: str) -> Situation:
        """The same question about another text (a part of the message), sharing the vectors."""
        return Situation(text, self.vectors)

    def __call__(self) -> bool:
        if self._value is None:
            from agent.offline.situations import possible
            from knowledge.situations import is_situation

            self._value = possible(self.text) and is_situation(self.text, self.vectors(self.text))
        return self._value

    def maybe(self) -> bool:
        """A looser reading, for messages no rule understood (the encoder is asked whatever the words)."""
        from knowledge.situations import might_be_situation

        return self() or might_be_situation(self.text, self.vectors(self.text))


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
    """Safety first: a reported injury or illness also gets the district protocol's answer."""
    if intent.name != "log_incident":
        return [intent]
    kind = intent.arguments.get("incident_type")
    if kind in MEDICAL_TYPES or (kind is None and situation is not None and situation()):
        return [intent, _search(_without(text, intent.arguments.get("student")), situation=True)]
    return [intent]


def _without(text: str, name: str | None) -> str:
    """The message without the student's name: the protocol search needs what happened, not who."""
    if not name:
        return text
    stripped = " ".join(re.sub(rf"\b{re.escape(name)}('s|’s|s)?\b", " ", text, flags=re.I).split())
    return stripped if len(stripped.split()) >= 2 else text


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
    exported = None if _small_talk(keyed) else export_request(text, keyed, names)  # a file, not the card again
    if exported is not None:
        name, arguments = exported
        return Intent(name, question=arguments["question"]) if name == "clarify" else Intent(name, arguments)
    # Recording the day (attendance, fitness, rubric levels, equipment checks) comes first: "shooting form" is not
    # a request for forms. See agent/offline/records.py.
    recording: Intent | None = None if _small_talk(keyed) else classify_record(text, keyed, names, now)
    if recording is not None:
        # Safety first: "wheezing after the pacer test" is a child in trouble, not a fitness result to record. A
        # recording with entries stays one ("Kate sat out with a sore knee" is her attendance mark), and so does an
        # equipment check ("#3 is flat" goes to the other teachers as an equipment notice).
        entries = any(isinstance(v, list) and v for v in recording.arguments.values())
        if recording.name != "check_equipment" and (not entries or WHAT_TO_DO.search(keyed)) and situation():
            return _search(text, situation=True)  # "sam is wheezing after the mile ... what do i do first"
        return recording
    for rule in (_small_talk, _forms, _student_number):
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
        return _calendar_read(keyed, now)
    student = find_student_name(text, names)
    question = bool(QUESTION.search(keyed))
    future = slots.when(keyed, now, prefer_future=True)
    if (SCHEDULE.search(keyed) and (future or re.search(r"\b(schedule|book|calendar)\b", keyed, re.I))) or \
            (future and slots.time_range(keyed)):
        return _schedule(text, keyed, now)
    if LESSON.search(keyed) and not re.search(r"\b(lessons? learned|ideas for)\b", keyed, re.I):
        if (question or ASKS.search(keyed)) and mentions_safety(keyed) and not LESSON_MAKE.search(keyed):
            return _search(text, situation=situation())  # "can I still run my lesson in this heat": the protocol
        return _lesson(keyed)
    if _lesson_request(keyed):
        return _lesson(keyed)
    if student:
        situation = situation.about(_without(text, student))  # the name says nothing about what is happening
        about = _about_student(text, keyed, student, question, now, situation)
        if about:
            return about
    if WRITE_UP.search(keyed):
        return Intent("open_form", {"form": "incident"})
    widget = slots.widget(keyed)
    strong = STRONG_PROTOCOL.search(keyed)
    if not question and not strong and situation():
        return _search(text, situation=True)
    if widget and not strong and not (question and PROTOCOL.search(keyed) and not slots.class_ref(keyed)):
        return _widget(widget, keyed)
    if PROTOCOL.search(keyed) or (question and (slots.incident_type(keyed) or slots.activity(keyed))) or \
            (slots.incident_type(keyed) and re.search(r"\b(a|the) (kid|student|child)\b", keyed, re.I)):
        kind = "curriculum" if CURRICULUM.search(keyed) else "safety"
        return _search(text, situation=kind == "safety" and situation(), kind=kind)
    if student is None and LOOKUP.search(keyed) and not re.search(r"\b(kid|student|child|someone)\b", keyed, re.I):
        leftover = leftover_name(text)
        if leftover:
            return Intent("lookup_student", _lookup_args(leftover, keyed))
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
    return Intent("unknown")


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
    # cleared to play: the student's medical flags hold the clearance notes
    if CLEARED.search(keyed) and not re.search(r"\b(when can|how long|how soon)\b", keyed, re.I):
        return Intent("lookup_student", {**_lookup_args(student, keyed), "details": ["medical"]})
    protocol_question = question and bool(PROTOCOL.search(keyed))
    reported = INCIDENT_CUE.search(keyed) or slots.incident_type(keyed) or (not question and situation())
    if reported and not question and not LOOKUP_ONLY.search(keyed):
        return _incident(text, keyed, student, now)
    if protocol_question:
        kind = "curriculum" if CURRICULUM.search(keyed) else "safety"
        return _search(text, situation=False, kind=kind)
    if question and situation() and not LOOKUP.search(keyed):
        return _search(_without(text, student), situation=True)  # "her nose is gushing, pinch it or tip her head back?"
    widget = slots.widget(keyed)
    if widget in ("fitness_trends", "participation", "attendance", "drivers_ed_progress") and not LOOKUP.search(keyed):
        return Intent("run_widget", {"widget": widget, "class": None, "student": student, "period_days": None})
    if LOOKUP.search(keyed) or question or len(keyed.split()) <= 3:
        return Intent("lookup_student", _lookup_args(student, keyed))
    return None


LOOKUP_ONLY = re.compile(r"\b(who do i call|contact (info )?for|phone|number|what class|which class)\b", re.I)


def _small_talk(text: str) -> Intent | None:
    for name, pattern in (("greeting", GREETING), ("thanks", THANKS), ("help", HELP)):
        if pattern.match(text):
            return Intent(name)
    return None


def _forms(text: str) -> Intent | None:
    for kind, pattern in BARE_FORM:
        if pattern.match(text):
            return Intent("open_form", {"form": kind})
    if not FORM_WORDS.search(text):
        return None
    for kind, pattern in FORM_KIND:
        if pattern.search(text):
            return Intent("open_form", {"form": kind})
    return Intent("open_form", {"form": None})


def _student_number(text: str) -> Intent | None:
    number = STUDENT_NUMBER.search(text)
    return Intent("lookup_student", _lookup_args(number.group(0).upper(), text)) if number else None


def _lookup_args(query: str, text: str) -> dict[str, Any]:
    details = []
    if MEDICAL.search(text):
        details.append("medical")
    if CONTACT.search(text):
        details.append("emergency_contact")
    return {"query": query, "class": slots.class_ref(text), "details": details}


def _incident(text: str, keyed: str, student: str, now: datetime) -> Intent:
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


def _widget(widget: str, keyed: str) -> Intent:
    arguments: dict[str, Any] = {"widget": widget, "class": slots.class_ref(keyed), "student": None,
                                 "period_days": None}
    if widget == "teams":
        arguments["team_count"] = slots.team_count(keyed)
    return Intent("run_widget", arguments)


def _lesson(keyed: str) -> Intent:
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


def _calendar_read(keyed: str, now: datetime) -> Intent:
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


def _schedule(text: str, keyed: str, now: datetime) -> Intent:
    start = slots.when(keyed, now, prefer_future=True)
    if start is None:
        if slots.event_title(text).lower() in ("something", "meeting", "event", "an event"):
            return Intent("open_form", {"form": "event"})
        return Intent("clarify", question="When should it be? For example: *next Tuesday at 3:30pm*.")
    return Intent("schedule_event", {"title": slots.event_title(text), "start": start.isoformat(),
                                     "duration_minutes": slots.duration_minutes(keyed) or slots.range_minutes(keyed),
                                     "location": slots.location(keyed),
                                     "attendees": [], "class": slots.class_ref(keyed)})
