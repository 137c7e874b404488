"""Intent rules: which tool (if any) an utterance asks for, and the slots it fills."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from domain.names import NameParts, name_score, normalize, token_similarity

GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|howdy|yo)\b[\s!.,]*(faraday)?[\s!.]*$", re.I)
THANKS = re.compile(r"^\s*(thanks|thank you|thx|cheers|great,? thanks|perfect)\b", re.I)
HELP = re.compile(r"^\s*(help|what can you do|commands|\?)\s*[?!.]*\s*$", re.I)
STUDENT_NUMBER = re.compile(r"\b[Ss]\d{4,9}\b")

LOOKUP_CUES = re.compile(
    r"\b(show( me)?|look ?up|find|pull up|who is|who's|tell me about|info(rmation)? (on|about|for)|profile|"
    r"details (on|for|about)|student card|emergency contact|allerg\w*|medical|health|contact for|"
    r"does \w+ have|what grade is|which class)\b",
    re.I,
)
MEDICAL = re.compile(r"\b(allerg\w*|medical|health|asthma|inhaler|epipen|epi-?pen|diabet\w*|condition|flags?)\b", re.I)
CONTACT = re.compile(r"\b(emergency contact|contact|parent|guardian|phone|call (his|her|their) )", re.I)

STOPWORDS = set(
    "show me look up lookup find pull up who is whos tell about info information on for profile details student card "
    "emergency contact contacts allergy allergies allergic medical health does have has what grade which class the a an "
    "of please can you could my in and any is their his her s flags condition conditions phone parent guardian".split()
)
ROSTER_TOKEN_THRESHOLD = 85


@dataclass(frozen=True, slots=True)
class Intent:
    name: str  # greeting | thanks | help | lookup_student | clarify | unknown
    arguments: dict[str, Any] = field(default_factory=dict)
    question: str | None = None  # for clarify


def classify(text: str, roster: list[NameParts]) -> Intent:
    if GREETING.match(text):
        return Intent("greeting")
    if THANKS.match(text):
        return Intent("thanks")
    if HELP.match(text):
        return Intent("help")
    number = STUDENT_NUMBER.search(text)
    if number:
        return Intent("lookup_student", _lookup_args(number.group(0).upper(), text))
    name = find_student_name(text, roster)
    if LOOKUP_CUES.search(text) or (name and len(normalize(text).split()) <= 3):
        name = name or _leftover_name(text)
        if not name:
            return Intent("clarify", question="Which student do you mean? Give me their name or student number.")
        return Intent("lookup_student", _lookup_args(name, text))
    return Intent("unknown")


def _lookup_args(query: str, text: str) -> dict[str, Any]:
    details = []
    if MEDICAL.search(text):
        details.append("medical")
    if CONTACT.search(text):
        details.append("emergency_contact")
    return {"query": query, "class": None, "details": details}


def find_student_name(text: str, roster: list[NameParts]) -> str | None:
    """The longest run of words in the utterance that matches names on the caller's roster (fuzzy)."""
    words = [w for w in re.split(r"[^\w'’-]+", text) if w]
    words = [re.sub(r"['’]s$", "", w) for w in words]
    best: list[str] = []
    run: list[str] = []
    tokens = _roster_tokens(roster)
    for word in words:
        norm = normalize(word)
        if norm and norm not in STOPWORDS and _is_name_token(norm, tokens):
            run.append(word)
            if len(run) > len(best):
                best = list(run)
        else:
            run = []
    if not best:
        return None
    candidate = " ".join(best[:3])
    if not any(name_score(candidate, n) >= ROSTER_TOKEN_THRESHOLD for n in roster):
        return best[0]
    return candidate


def _leftover_name(text: str) -> str | None:
    """Off-roster names still go to the service (which answers "not found" and audits the attempt)."""
    words = [re.sub(r"['’]s$", "", w) for w in re.split(r"[^\w'’-]+", text) if w]
    kept = [w for w in words if normalize(w) not in STOPWORDS and w[:1].isalpha()]
    return " ".join(kept[:3]) if 0 < len(kept) <= 3 else None


def _roster_tokens(roster: list[NameParts]) -> set[str]:
    tokens: set[str] = set()
    for n in roster:
        tokens |= n.given_names()
        tokens.add(normalize(n.last))
    return tokens


def _is_name_token(token: str, tokens: set[str]) -> bool:
    if token in tokens:
        return True
    if len(token) < 4:
        return False
    return any(token_similarity(token, t) >= ROSTER_TOKEN_THRESHOLD for t in tokens if t[:1] == token[:1])
