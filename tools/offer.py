"""Which tool schemas a model is offered on a turn's first step.

Every model call carries the schemas it is offered, and with every tool present they are most of the input (~4.2k of
~4.6k tokens, ``bench/safety.py``). A turn needs few of them, and what it can need shows in its words: a message with
nothing about recording the day is not asking to record fitness results. So the first step offers

- always: the safety pair (``search_knowledge``, ``log_incident``: a situation can come in any words), the student
  look-up and the forms (the fallback for anything unsure);
- each other tool when the message (or the user's previous message, for a follow-up such as "make it 45 minutes")
  contains a word of its vocabulary below — written from what each tool does, erring towards offering;
- and when no such word is there at all, the everyday ones (widgets, lessons, events), never the recording tools,
  which need names and values to act on.

Later steps offer what can follow the tools that ran (``tools.registry.follow_up_tools``). Measured by
``tests/support/tool_offer_eval.py``: the labelled tool of every labelled utterance must be offered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ALWAYS = frozenset({"search_knowledge", "log_incident", "lookup_student", "open_form"})
FALLBACK = frozenset({"run_widget"})  # "how is my class doing" comes in any words
# An export reads what is recorded ("export the period 3 attendance") and a message home writes about it ("email
# Eva's mom about her attendance"): their words make the recording tools' words no reason to offer them.
RECORDING = frozenset({"take_attendance", "record_fitness", "record_skills", "check_equipment"})
# a request to write to a family: a writing verb first ("email Eva's mom …"), not a report ("her mom emailed")
TO_FAMILIES = re.compile(r"^\W*(please\s+|can you\s+|could you\s+)*(e-?mail|message|write|let|tell|notify|inform|"
                         r"send|draft|contact)\b.*\b(parents?|guardians?|mom|dad|mother|father|famil(y|ies))\b", re.I)

_DAYS = r"mon|tues?|wed|thu|thurs|fri|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend"
_MONTHS = r"january|february|march|april|june|july|august|september|october|november|december|sept|aug|oct|nov|dec"
_GRADE = (r"grade|graders?|\d+(st|nd|rd|th)[- ]grade\w*|kinder\w*|freshm[ae]n|sophomores?|juniors?|seniors?|"
          r"middle school\w*|high school\w*|elementary")
CUES: dict[str, re.Pattern[str]] = {
    "run_widget": re.compile(
        r"\b(how (is|are|'s|has|have|many|much|often|well)|how'?s|doing|trend\w*|progress\w*|overview|summar\w*|"
        r"insights?|report|breakdown|stats?|status|compar\w*|who('s| is| are| has| needs?| still)|whos|which|"
        r"attendance|absen\w*|missing|chronic\w*|tardies|teams?|groups?|split|balanced|skills?|gaps?|struggl\w*|"
        r"behind|benchmark|weak\w*|fitness|fitnessgram|pacer|scores?|results?|risks?|flags?|equipment|"
        r"inspect\w*|overdue|due|damaged|incidents|participat\w*|active|assess\w*|drivers?'?s?|driving|"
        r"behind the wheel|hours|adaptive|adapt\w*|iep|504|accommodat\w*)\b", re.I),
    "plan_lesson": re.compile(
        rf"\b(lessons?|plan|planning|units?|activit\w*|drills?|games?|stations?|circuits?|warm[- ]?ups?|"
        rf"teach\w*|intro\w*|ideas?|{_GRADE}|minutes?|mins?)\b", re.I),
    "schedule_event": re.compile(
        rf"\b(schedul\w*|book\w*|calendar|events?|meetings?|mtg|conference|appointment|remind\w*|reserve|"
        rf"set up|arrange|block( off)?|invite|tryouts?|assembly|night|tournament|field trip|training|"
        rf"tomorrow|tonight|next (week|month|\w+day)|morning|afternoon|evening|noon|{_DAYS}|{_MONTHS}|"
        rf"\d{{1,2}}(:\d\d)?\s*(am|pm|a\.m\.|p\.m\.)|\d{{1,2}}:\d\d|o'?clock|until|till|"
        rf"from \d{{1,2}}\w* to)\b", re.I),
    "take_attendance": re.compile(
        r"\b(attendance|roll|absent|tardy|late|excused|present|here|out sick|sick|sat out|sit(ting)? out|"
        r"sits out|no[- ]show|kit|clothes|uniform|everyone|everybody)\b", re.I),
    # Recording results: a test or skill word with a value, or with a word asking to record them.
    "record_fitness": re.compile(
        r"(?=.*\b(\d+|record\w*|enter\w*|log\w*|input|put in|add)\b)"
        r"(?=.*\b(pacer|laps?|mile|push[- ]?ups?|curl[- ]?ups?|sit[- ]and[- ]reach|trunk lift|fitnessgram|"
        r"fitness (test|scores?|results?)|inches|cm|secs?|seconds)\b)", re.I),
    "record_skills": re.compile(
        r"\b(rubric|assess\w*|proficien\w*|mastery|meets|meeting|exceeds|developing|beginning|emerging)\b|"
        r"(?=.*\b([1-4]|record\w*|enter\w*|log\w*|input|put in|rate|grade)\b)"
        r"(?=.*\b(levels?|skills?|dribbl\w*|pass\w*|shoot\w*|shot|serv\w*|throw\w*|catch\w*|kick\w*|"
        r"layups?|volley\w*|form|stance|pivot\w*|defen[sc]e)\b)", re.I),
    "export_data": re.compile(
        r"\b(export\w*|download\w*|spreadsheets?|excel|xlsx|csv|pdfs?|print\w*|files?|sheets?|state report|"
        r"send (it|this|that|them) to me|save (it|this|that) as)\b", re.I),
    "message_home": re.compile(
        r"\b(parents?|guardians?|mom|dad|mother|father|famil(y|ies)|home|e-?mails?|letters?|notes?|messages?|"
        r"let \w+ know|tell|inform|notify|contact|write|draft|reminder|spanish|english|translat\w*|language)\b", re.I),
    "read_calendar": re.compile(  # a calendar word: "tomorrow" alone is no reason to read the calendar
        r"\b(calendar|agenda|schedule|free|busy|booked|what'?s on|whats on|am i|do i have|anything on)\b", re.I),
    "check_equipment": re.compile(
        r"(\b(equipment|inspect\w*|checked|broken|damaged|worn|frayed|cracked|loose|snapped|torn|ripped|flat|"
        r"leak\w*|missing|lost|replace\w*|repair\w*|fix\w*|doesn'?t work|not working|out of order|inventory|"
        r"condition|aed)\b|#\s?\d)", re.I),
}


def first_step_tools(texts: Iterable[str], available: Iterable[str] = ()) -> set[str]:
    """The tool names offered on a turn's first step, from the user's message (and their previous one). A tool of
    ``available`` this module has no vocabulary for (one added later) is always offered: never hidden by default."""
    joined = " ".join(t for t in texts if t)
    cued = {name for name, cue in CUES.items() if cue.search(joined)}
    if "export_data" in cued or ("message_home" in cued and TO_FAMILIES.search(joined)):
        cued -= RECORDING
    unknown = set(available) - ALWAYS - set(CUES) - FALLBACK
    return set(ALWAYS) | (cued or set(FALLBACK)) | unknown
