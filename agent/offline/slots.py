"""Slot extractors for the offline planner: severities, incident types, activities, places, grades, durations,
widgets, classes and times. Each is a small pure function over the utterance."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import dateparser

SEVERITY_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("critical", re.compile(r"\b(critical|unconscious|unresponsive|not responding|not breathing|911|ambulance|"
                            r"cpr|aed|anaphyla\w*|throat is closing)\b", re.I)),
    ("serious", re.compile(r"\b(serious|severe|broken|broke|fracture\w*|dislocat\w*|knocked out|lots of blood|"
                           r"bleeding a lot|deep cut|stitches|hospital|couldn'?t put (any )?weight)\b", re.I)),
    ("moderate", re.compile(r"\b(moderate|swollen|swelling|limping|sprain\w*|"
                            r"couldn'?t (finish|continue)|sent (him|her|them) to the nurse)\b", re.I)),
    ("minor", re.compile(r"\b(minor|small|little|slight(ly)?|scrape\w*|bruise\w*|looks? (fine|ok|okay)|"
                         r"nothing serious|not (too )?bad|tiny|just a)\b", re.I)),
]
TYPE_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("head_injury", re.compile(r"\b(head|concussion|dazed|knocked out|skull|forehead)\b", re.I)),
    ("allergic_reaction", re.compile(r"\b(allerg\w*|hives|anaphyla\w*|epi-?pen|peanuts?|throat is closing|"
                                     r"swelling of (the )?(lips|throat))\b", re.I)),
    ("breathing",
     re.compile(r"\b(asthma|wheez\w*|inhaler|catch (his|her|their) breath|short of breath|hyperventilat\w*)\b", re.I)),
    ("illness", re.compile(r"\b(vomit\w*|threw up|throw up|nause\w*|dizzy|faint\w*|sick|fever|heat exhaustion|"
                           r"overheat\w*|seizure|diabet\w*|low blood sugar)\b", re.I)),
    ("other", re.compile(r"\b(passed out)\b", re.I)),
    ("behavior", re.compile(r"\b(fight|fistfight|fought|punch\w*|pushed|on purpose|bull(y|ied|ying)|swore|chucked|"
                            r"refused|disrespect\w*|kick(ed)? (him|her|them|another))\b", re.I)),
    ("near_miss",
     re.compile(r"\b(near miss|almost|nearly|close call|nobody hurt|no one (got )?hurt)\b(?!.*\b(broke|sprain))",
                re.I)),
    ("injury", re.compile(r"\b(roll(ed)?|sprain\w*|twist\w*|fell|fall|hurt|injur\w*|cut|scrape\w*|bleed\w*|"
                          r"nosebleed|bruise\w*|broke|broken|fractur\w*|collid\w*|crash\w*|hit|jammed|dropped|"
                          r"pulled|strain\w*|dislocat\w*|ankle|knee|wrist|finger|elbow|shoulder|foot|toe|arm|leg|nose)\b",
                          re.I)),
]
ACTIVITIES = (
    "basketball", "volleyball", "soccer", "flag football", "football", "ultimate frisbee", "frisbee", "softball",
    "baseball", "kickball", "dodgeball", "tennis", "pickleball", "badminton", "hockey", "floor hockey", "lacrosse",
    "swimming", "gymnastics", "tumbling", "climbing wall", "climbing", "running", "pacer", "mile run", "relay",
    "tag", "dance", "yoga", "weights", "weight training", "strength training", "jump rope", "track", "warm-up",
    "warm up", "warmups", "stretching", "cricket", "rugby", "handball", "wrestling", "boccia", "orienteering",
    "fitness testing", "sack race", "balance beam", "batting practice", "dodgeball", "400",
)
PLACES = (
    "pe office", "library", "conference room", "back field", "front field", "cafeteria", "auditorium", "stadium",
    "main gym", "auxiliary gym", "aux gym", "bleachers", "pool deck", "gym", "field 1", "field 2", "field", "pool",
    "track", "weight room", "fitness room", "locker room", "weight room", "multipurpose room", "playground", "courts",
    "tennis courts", "blacktop", "hallway",
)
WIDGETS: list[tuple[str, re.Pattern[str]]] = [
    ("attendance",
     re.compile(r"\b(chronic\w* (absen\w*|tardy|late)|absentee\w*|miss(ed|es|ing)? (the most|a lot|so many|"
                r"too many)|keep(s)? missing|skip(ped|ping|s)? (class|gym|pe|school)|"
                r"miss(ed)? (a lot of )?(school|days))\b", re.I)),
    ("assessment_status",
     re.compile(r"\b(still (need|have) to (assess|test|skills? test)|(haven'?t|hasn'?t|not) (been |"
                r"yet )?(assessed|tested|done (their|the|a) skills?)|assessments? (left|overdue|remaining|"
                r"to do)|assessed everyone|missing (a |their |any )?(skills? )?(assessments?|checks?)|(hasn'?t|"
                r"haven'?t) had (their|a|the) skills?|skills? (checks?|tests?|assessments?) (left|overdue|"
                r"missing)|(skill|skills) assessment status)\b", re.I)),
    ("class_insights",
     re.compile(r"\b(how('?s| is| are| did| has)( (my|the|our))? (class(es)?|kids|students|period \d|pe \d+|"
                r"\d(st|nd|rd|th) period|things|everything)( \w+){0,3} (doing|going|do|been)|(quick )?rundown|"
                r"snapshot|weekly (summary|recap)|what'?s going on (with|in) (period|my|pe))\b", re.I)),
    ("drivers_ed_progress", re.compile(r"\b(driver'?s? ?ed\w*|behind[- ]the[- ]wheel|driving hours)\b", re.I)),
    ("teams", re.compile(r"\b(teams|split (them|the class|into)|groups? of|balanced|pick teams|squads)\b", re.I)),
    ("adaptive_pe", re.compile(r"\b(adapt(ed|ive) pe|adaptations?|accommodat\w*|iep|504|modifications?)\b", re.I)),
    ("safety_risks",
     re.compile(r"\b(safety risks?|risks?|medical flags?|anyone i should (watch|know)|supervision)\b", re.I)),
    ("equipment",
     re.compile(r"\b(equipment|inspection\w*|inspected|damaged|gear|balls? (are )?low|climbing wall last)\b", re.I)),
    ("incident_summary", re.compile(r"\b(incidents? (summary|report|this|last|so far|by|in)|how many incidents|"
                                    r"injur\w* (this|in|lately)|incidents lately|any injuries)\b", re.I)),
    ("fitness_trends", re.compile(r"\b(fitness (test|trend|result|score)\w*|pacer|push-?ups|curl-?ups|"
                                  r"sit[- ]and[- ]reach|fitnessgram|healthy fitness zone)\b", re.I)),
    ("assessment_status", re.compile(r"\b(not (been )?assessed|assessment status|assessments? am i missing|"
                                     r"missing assessments?|needs? to be assessed|who (still )?needs? (an )?assess\w*|"
                                     r"haven'?t assessed)\b", re.I)),
    ("skill_gaps",
     re.compile(r"\b(skill gaps?|weak(est)? skills?|struggling with|below benchmark|skills? (need|are) work)\b", re.I)),
    ("participation", re.compile(r"\b(participat\w*|active minutes|minutes of activity|how active|mvpa|dressing out|"
                                 r"sitt?(ing|in) out)\b", re.I)),
    ("attendance",
     # skipping class, not skipping the locomotor skill ("kindergarten hopping and skipping activities")
     re.compile(r"\b(attendance|absen\w*|missing class|skipping (class|gym|pe|school|period)|(who|kids|students)"
                r"( are|'re| is|'s)? skipping\b(?! (rope|and|activit))|tardy|tardies|chronic\w*|who'?s been out|"
                r"present)\b", re.I)),
    ("class_insights",
     re.compile(r"\b(how is (my|the) class|how are (my|the) (kids|students|classes)|class (insights|overview|"
                r"summary)|how'?s period|insights|overview|how is period \d doing)\b(?!\s*(on)?\s*$)", re.I)),
]
CLASS_REF = re.compile(r"\b(period|per\.?|p)\s*(\d)\b|\b(PE|adapted pe|drivers ed)\s*(\d{1,2}|k)\b|"
                       r"\b(\d)(st|nd|rd|th) period\b|\b(\d{1,2})(st|nd|rd|th) grad(e|ers)\b", re.I)
GRADE = re.compile(r"\b(k|kinder(garten)?|kindergartners?)\b|\b(\d{1,2})(st|nd|rd|th)?[- ]?(grade|graders?)\b|"
                   r"\b(?:grade|pe)\s*(\d{1,2}|k)\b|\b(\d{1,2})(st|nd|rd|th)\b", re.I)
YEAR_WORDS = {"freshman": 9, "freshmen": 9, "sophomore": 10, "sophomores": 10, "junior": 11, "juniors": 11,
              "senior": 12, "seniors": 12}
DURATION = re.compile(r"\b(?P<minutes>\d{1,3})\s*-?\s*(?:min(?:ute)?s?|mins?)\b|\b(?P<one>an|one|1)\s+hour\b|"
                      r"\b(?P<half>half) (?:an )?hour\b|\b(?P<hours>\d(?:\.\d)?)\s*(?:hours?|hrs?)\b", re.I)
RANGE = re.compile(r"\b(\d{1,2})(:(\d{2}))?\s*-\s*(\d{1,2})(:(\d{2}))?\b")


EXPLICIT_SEVERITY = [
    ("critical", re.compile(r"\bcritical\b", re.I)),
    ("serious", re.compile(r"\b(serious(ly)?|really bad|very bad|pretty scary|scary)\b(?<!not serious)", re.I)),
    ("moderate", re.compile(r"\b(moderate|pretty bad|it'?s bad|kind of bad|bad)\b", re.I)),
    ("minor", re.compile(r"\b(minor|mild|nbd|no big deal|not serious|nothing serious)\b", re.I)),
]


def severity(text: str) -> str | None:
    """The teacher's own word for severity wins; otherwise inferred from what happened."""
    critical = SEVERITY_WORDS[0][1].search(text)
    if critical:
        return "critical"
    if re.search(r"\b(not serious|nothing serious)\b", text, re.I):
        return "minor"
    for name, pattern in EXPLICIT_SEVERITY:
        if pattern.search(text):
            return name
    for name, pattern in SEVERITY_WORDS:
        if pattern.search(text):
            return name
    return None


def incident_type(text: str) -> str | None:
    for name, pattern in TYPE_WORDS:
        if pattern.search(text):
            return name
    return None


def _phrase(text: str, phrases: tuple[str, ...]) -> str | None:
    lowered = text.lower()
    for phrase in sorted(phrases, key=len, reverse=True):  # the most specific phrase wins ("main gym" over "gym")
        if re.search(rf"\b{re.escape(phrase)}\b", lowered):
            return phrase
    return None


def activity(text: str) -> str | None:
    found = _phrase(text, ACTIVITIES)
    return found.title() if found and found not in ("pacer",) else ("PACER test" if found else None)


ROOM = re.compile(r"\b(room \d{1,4}[a-z]?)\b", re.I)


def location(text: str) -> str | None:
    found = _phrase(text, PLACES)
    if found:
        return found.title()
    room = ROOM.search(text)
    return room.group(1).title() if room else None


SPAN = re.compile(
    r"\b(?:from\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*(?:-|–|to|until|till|til|thru|through)\s*"
    r"(?:(noon|midday)|(\d{1,2})(?::(\d{2}))?\s*(am|pm)?)(?!\s*(?:min|hour|hr|kids|students|teams|graders|th|st|nd|rd))\b",
    re.I,
)


def time_range(text: str) -> tuple[time, time] | None:
    """A clock range ("from 3 to 5", "3:30 until 5", "2-6pm", "8am to noon", "9 till 2"): start and end. Without
    am/pm, 1-6 o'clock is afternoon, and an end's am/pm carries to a start that fits before it."""
    match = SPAN.search(text)
    if not match or re.search(r"\b(grades?|ages?|k)\s*$", text[: match.start()], re.I):
        return None
    h1, m1, ap1, noon, h2, m2, ap2 = match.groups()
    end_h = 12 if noon else int(h2)
    end = _clock_hour(end_h, ap2) if not noon else 12
    start = _clock_hour(int(h1), ap1 or (ap2 if ap2 and int(h1) <= end_h else None))
    if not ap1 and not ap2 and noon is None and start > end:
        start = int(h1)
    try:
        first, last = time(start, int(m1 or 0)), time(end, int(m2 or 0))
    except ValueError:
        return None
    return (first, last) if last > first else None


def _clock_hour(hour: int, ampm: str | None) -> int:
    if ampm:
        return hour % 12 + (12 if ampm.lower() == "pm" else 0)
    return _hour(hour)


def range_minutes(text: str) -> int | None:
    span = time_range(text)
    if span is None:
        return None
    return (span[1].hour * 60 + span[1].minute) - (span[0].hour * 60 + span[0].minute)


def widget(text: str) -> str | None:
    for name, pattern in WIDGETS:
        if pattern.search(text):
            return name
    return None


def class_ref(text: str) -> str | None:
    match = CLASS_REF.search(text)
    if not match:
        return None
    if match.group(2):
        return f"period {match.group(2)}"
    if match.group(5):
        return f"period {match.group(5)}"
    if match.group(7):
        return f"grade {match.group(7)}"
    prefix = match.group(3)
    return f"{prefix.upper() if prefix.lower() == 'pe' else prefix.title()} {match.group(4).upper()}"


def grade(text: str) -> int | None:
    for word, value in YEAR_WORDS.items():
        if re.search(rf"\b{word}\b", text, re.I):
            return value
    match = GRADE.search(text)
    if not match:
        return None
    if match.group(1):
        return 0
    for group in (3, 5, 6):
        number = match.group(group)
        if number:
            return 0 if number.lower() == "k" else int(number)
    return None


def duration_minutes(text: str) -> int | None:
    match = DURATION.search(text)
    if not match:
        span = RANGE.search(text)
        if span:
            start = _hour(int(span.group(1))) * 60 + int(span.group(3) or 0)
            end = _hour(int(span.group(4))) * 60 + int(span.group(6) or 0)
            return end - start if end > start else None
        return None
    if match.group("minutes"):
        return int(match.group("minutes"))
    if match.group("half"):
        return 30
    if match.group("hours"):
        return round(float(match.group("hours")) * 60)
    return 60


def _hour(hour: int) -> int:
    return hour + 12 if 1 <= hour <= 6 else hour


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAY_WORD = re.compile(r"\b(today|tonight|tomorrow|tmrw|tmr|tomorow|yesterday|this (morning|afternoon|evening))\b", re.I)
WEEK_FROM = re.compile(r"\ba week from (tomorrow|today)\b", re.I)
ORDINAL_DAY = re.compile(r"\b(on )?the (\d{1,2})(st|nd|rd|th)\b", re.I)
WEEKDAY = re.compile(r"\b(next |last |this |on )?(mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(day)?\b",
                     re.I)
MONTH_DAY = re.compile(r"\b((jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(st|nd|rd|th)?|"
                       r"\d{1,2}/\d{1,2})\b", re.I)
IN_DAYS = re.compile(r"\bin (a|one|two|three|four|\d+) (day|week)s?\b", re.I)
AMPM = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)", re.I)
AT_CLOCK = re.compile(r"\bat (\d{1,2})(?::(\d{2}))?\b(?!\s*(min|hour|hr))", re.I)
HHMM = re.compile(r"\b(\d{1,2}):(\d{2})\b")
NOON = re.compile(r"\b(noon|midday)\b", re.I)
CLOCK = re.compile(f"{AMPM.pattern}|{AT_CLOCK.pattern}|{HHMM.pattern}|{NOON.pattern}", re.I)
NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4}


def _date(text: str, now: datetime, prefer_future: bool) -> date | None:
    today = now.date()
    week_from = WEEK_FROM.search(text)
    if week_from:
        return today + timedelta(days=8 if week_from.group(1).lower() == "tomorrow" else 7)
    month_day = MONTH_DAY.search(text)
    if month_day:
        settings = {"RELATIVE_BASE": now.replace(tzinfo=None),
                    "PREFER_DATES_FROM": "future" if prefer_future else "past"}
        parsed = dateparser.parse(month_day.group(0), settings=settings, languages=["en"])
        if parsed:
            return parsed.date()
    word = DAY_WORD.search(text)
    if word:
        w = word.group(1).lower()
        offset = 1 if w in ("tomorrow", "tmrw", "tmr", "tomorow") else -1 if w == "yesterday" else 0
        return today + timedelta(days=offset)
    ordinal = ORDINAL_DAY.search(text)
    if ordinal and 1 <= int(ordinal.group(2)) <= 31:
        day_number = int(ordinal.group(2))
        year, month = today.year, today.month
        if (day_number <= today.day) == prefer_future:
            month += 1 if prefer_future else -1
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        try:
            return date(year, month, day_number)
        except ValueError:
            return None
    match = IN_DAYS.search(text)
    if match:
        n = NUMBERS.get(match.group(1).lower()) or int(match.group(1))
        return today + timedelta(days=n * (7 if match.group(2).lower() == "week" else 1))
    match = WEEKDAY.search(text)
    if match and (match.group(3) or (len(match.group(2)) >= 3 and match.group(1))):
        target = next(i for i, d in enumerate(WEEKDAYS) if d.startswith(match.group(2).lower()[:3]))
        qualifier = (match.group(1) or "").strip().lower()
        if prefer_future or qualifier == "next":
            delta = (target - today.weekday()) % 7 or 7
        else:
            delta = -((today.weekday() - target) % 7)
        return today + timedelta(days=delta)
    return None


def day(text: str, now: datetime, *, prefer_future: bool = True) -> date | None:
    """The calendar day the utterance names ("on Thursday", "next Tuesday", "Dec 12", "12/12", "the 3rd", "in two
    days", "tomorrow"), relative to ``now`` in the user's time zone; the same reading as ``when``'s date."""
    return _date(text, now, prefer_future)


def _clock(text: str) -> time | None:
    """A clock time: "3:30pm", "at 10" (1–6 o'clock read as afternoon), "10:15", "noon", or a range's start."""
    hour: int | None = None
    minute = 0
    if span := time_range(text):  # a range's start, however its ends are written
        return span[0]
    if match := AMPM.search(text):
        hour = int(match.group(1)) % 12 + (12 if match.group(3).lower()[0] == "p" else 0)
        minute = int(match.group(2) or 0)
    elif match := AT_CLOCK.search(text):
        hour, minute = _hour(int(match.group(1))), int(match.group(2) or 0)
    elif match := HHMM.search(text):
        hour, minute = _hour(int(match.group(1))), int(match.group(2))
    elif NOON.search(text):
        hour = 12
    elif match := RANGE.search(text):
        hour, minute = _hour(int(match.group(1))), int(match.group(3) or 0)
    if hour is None or hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def when(text: str, now: datetime, *, prefer_future: bool) -> datetime | None:
    """A date-time mentioned in the utterance, relative to ``now`` in the user's time zone (None if none).
    A date without a time is None for future events (the time must be asked) and "now's time" for past events."""
    day, clock = _date(text, now, prefer_future), _clock(DURATION.sub(" ", text))
    if day is None and clock is None:
        return None
    if clock is None:
        if prefer_future:
            return None
        clock = now.time().replace(second=0, microsecond=0) if day == now.date() else time(12, 0)
    day = day or now.date()
    result = datetime.combine(day, clock, now.tzinfo)
    if prefer_future and result <= now and day == now.date() and not DAY_WORD.search(text):
        result += timedelta(days=1)
    return result


LEADING_VERB = re.compile(r"^\s*(please |can you |could you |i need to |i want to |let'?s )?"
                          r"(schedule|book|set up|add|arrange|reserve|put|create|make)\s+(me\s+)?(a|an|the)?\s*", re.I)
TRAILING = re.compile(r"\b(on|at|for|from|next|this|in|to( my)? calendar|on (my|the) calendar)\s*$", re.I)


def event_title(text: str) -> str:
    """The gist of an event request: the request minus the verb, dates, times and durations."""
    title = LEADING_VERB.sub("", text)
    title = SPAN.sub(" ", title)
    place = location(text)
    if place:
        title = re.sub(rf"\b(in|at|on) (the )?{re.escape(place)}\b", " ", title, flags=re.I)
    for pattern in (DAY_WORD, IN_DAYS, WEEKDAY, MONTH_DAY, CLOCK, DURATION):
        title = pattern.sub(" ", title)
    title = re.sub(r"\b(to|on|in) (my|the) calendar\b", " ", title, flags=re.I)
    title = " ".join(title.split()).strip(" .,!?")
    while TRAILING.search(title):
        title = TRAILING.sub("", title).strip(" .,!?")
    title = title or "Meeting"
    return (title[:1].upper() + title[1:])[:120]


LESSON_FILLER = re.compile(
    r"\b(can (you|u)|could you|please|plan|make|create|need|give|me|i|a|an|the|my|lesson|plan:|plans?|on|for|about|"
    r"long|intro|block|like|w/|with|to|in|grade|graders?|kinder(garten)?|k|freshman|freshmen|sophomores?|juniors?|"
    r"seniors?|pe|adapted|min(ute)?s?|hours?|half|an hour|\d+\w*)\b",
    re.I,
)


def lesson_topic(text: str) -> str | None:
    """What the lesson is about: the request minus grade, duration and filler words."""
    match = re.search(r"\b(?:on|about)\s+(.+?)(?:\s+for\b|[,.]|$)", text, re.I)
    source = match.group(1) if match else text
    source = DURATION.sub(" ", source)
    words = [w for w in re.split(r"[^\w/'+-]+", source) if w and not LESSON_FILLER.fullmatch(w)]
    topic = " ".join(words).replace("/", " ").strip(" -+")
    topic = re.sub(r"\s+", " ", topic)
    return topic[:120] or None


TEAM_COUNT = re.compile(r"\b(\d|two|three|four|five|six|seven|eight)\s+(?:\w+\s+)?(teams|groups|squads)\b", re.I)
WORD_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


def team_count(text: str) -> int | None:
    match = TEAM_COUNT.search(text)
    if not match:
        return None
    raw = match.group(1).lower()
    value = WORD_NUMBERS.get(raw) or int(raw)
    return value if 2 <= value <= 8 else None
