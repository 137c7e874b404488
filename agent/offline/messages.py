"""Messages home: "let Oliver's parents know about his wrist", "send a reminder about kit to period 3 parents",
"send Eva's fitness report home" → ``message_home``.

A message home is a request that *starts* with a verb of writing to someone (email, write, message, tell, let …
know, notify, contact, send, remind, draft) and names a family (parents, guardians, family, mom, dad…) or says
"home" ("a note home", "send home", "email home about"). A question ("what's Zoe's mom's email", "when do I have to
tell parents about a head injury"), a report of what happened ("Eli fell, his parents are picking him up") and a
meeting to schedule keep their own tools. The kind comes from the words (fitness, attendance, an incident), a class
with no student makes a class notice, and a language the teacher names ("they speak Spanish") is passed on."""

from __future__ import annotations

import re
from typing import Any

from agent.offline import slots
from agent.offline.names import find_student_name
from domain.messages_home import languages
from domain.names import NameParts

LEAD = r"^\s*(?:(?:ok(?:ay)?|hey|faraday|please|pls|can you|could you|would you|will you|i need to|i want to|" \
       r"i'd like to|id like to|i have to|go ahead and|help me)[\s,]+)*"
VERB = re.compile(LEAD + r"(e-?mail|write(?: to)?|message|msg|text|tell|let|notify|contact|inform|send|remind|draft|"
                         r"reach out to|update)\b", re.I)
FAMILY = re.compile(r"\b(parents?|guardians?|famil(?:y|ies)|mom|mum|mother|dad|father|grandparents?|grandma|"
                    r"grandpa|caregivers?|carers?|folks)\b", re.I)
HOME = re.compile(r"\b(?:(?:note|letter|e-?mail|message|report|results|update|reminder)\s+home|"
                  r"(?:e-?mail|write|send|message)\s+home)\b", re.I)
NOT_A_MESSAGE = re.compile(r"\b(schedule|book|meeting|conference|call with|set up a call)\b", re.I)

FITNESS = re.compile(r"\b(fitness\w*|pacer|push-?ups?|curl-?ups?|sit[- ]and[- ]reach|trunk lift|mile (?:run|time)|"
                     r"fitnessgram|test results|test scores?|scores?)\b", re.I)
ATTENDANCE = re.compile(r"\b(attendance|absen\w+|absent|missing|missed|misses|skipping|skipped|skips|cutting class|"
                        r"late|tardy|tardies|truan\w+|not (?:coming|showing up))\b", re.I)
INCIDENT = re.compile(r"\b(incident|injur\w*|hurt|accident|what happened|fall|fell|nosebleed|bump|bruise\w*|cut|"
                      r"sprain\w*|concussion|wrist|ankle|knee|arm|elbow|shoulder|finger|hand|head|nose|leg|foot|back|"
                      r"neck|wheez\w*|asthma|allergic reaction|stung)\b", re.I)
TOPIC_AFTER = (re.compile(r":\s*(.+)$", re.S), re.compile(r"\b(?:that|saying|to say)\s+(.+)$", re.I | re.S),
               re.compile(r"\bremind\b.*?\b(?:parents?|famil(?:y|ies)|guardians?)\s+(?:to|about)\s+(.+)$", re.I | re.S),
               re.compile(r"\babout\s+(.+)$", re.I | re.S))
CLARIFY_KIND = ("What should the message home be about: the student's latest incident, their attendance, or their "
                "fitness results? For example: *email Oliver's parents about his wrist*.")
CLARIFY_WHO = ("Which student or class is the message for? For example: *send a reminder about kit to period 3 "
               "parents*.")


def is_message_home(keyed: str) -> bool:
    """A request to write to a family (see the module docstring); ``keyed`` is the typo-repaired text."""
    verb = VERB.match(keyed)
    if verb is None or NOT_A_MESSAGE.search(keyed):
        return False
    if verb.group(1).lower() == "let" and not re.search(r"\bknow\b", keyed, re.I):
        return False
    rest = keyed[verb.end():]
    return bool(FAMILY.search(rest) or HOME.search(keyed))


def message_home(text: str, keyed: str, names: list[NameParts]) -> tuple[str, dict[str, Any] | None]:
    """("message_home", its arguments), or ("clarify", None) with the question to ask in ``CLARIFY_*``."""
    student = find_student_name(text, names)
    cls = slots.class_ref(keyed)
    language = languages.mentioned(text)
    if student is None:
        if cls is None:
            return CLARIFY_WHO, None
        return "message_home", {"kind": "class_notice", "student": None, "class": cls, "topic": notice_topic(text),
                                "language": language}
    if FITNESS.search(keyed):
        kind = "fitness"
    elif ATTENDANCE.search(keyed):
        kind = "attendance"
    elif INCIDENT.search(keyed) or slots.incident_type(keyed):
        kind = "incident"
    else:
        return CLARIFY_KIND, None
    return "message_home", {"kind": kind, "student": student, "class": None, "topic": text.strip()[:300],
                            "language": language}


def notice_topic(text: str) -> str:
    """What a class notice should say, in the teacher's words: after a colon, "that …", "remind … to …", "about …";
    else the whole message. The card shows it for review before anything is sent."""
    for pattern in TOPIC_AFTER:
        found = pattern.search(text)
        if found and len(found.group(1).split()) >= 2:
            words = found.group(1).strip().rstrip(".!")
            return (words[0].upper() + words[1:] + ".")[:1500]
    return text.strip()[:1500]
