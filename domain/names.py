"""Name matching that tolerates accents, case, small typos and common nicknames."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

NICKNAMES: dict[str, set[str]] = {
    "alex": {"alexander", "alexandra", "alexis"},
    "ben": {"benjamin"},
    "beth": {"elizabeth"},
    "liz": {"elizabeth"},
    "chris": {"christopher", "christina", "christian"},
    "dan": {"daniel"},
    "danny": {"daniel"},
    "kate": {"katherine", "kathryn", "katelyn"},
    "katie": {"katherine", "kathryn", "katelyn"},
    "jim": {"james"},
    "jimmy": {"james"},
    "jamie": {"james"},
    "joe": {"joseph"},
    "matt": {"matthew"},
    "mike": {"michael"},
    "nick": {"nicholas"},
    "sam": {"samuel", "samantha"},
    "tom": {"thomas"},
    "will": {"william"},
    "bill": {"william"},
    "abby": {"abigail"},
    "maddie": {"madison", "madeline"},
    "tony": {"anthony"},
    "zach": {"zachary"},
}

MATCH_THRESHOLD = 85


@lru_cache(maxsize=65536)  # pure; the roster's names are normalised on every turn (bench/turns.py: ~25 ms a turn)
def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation: "Zoë Müller" → "zoe muller"."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(c if c.isalnum() else " " for c in ascii_only.lower())
    return " ".join(cleaned.split())


@dataclass(frozen=True, slots=True)
class NameParts:
    first: str
    last: str
    preferred: str | None = None
    # normalised once: a roster is scored against every utterance
    given: frozenset[str] = field(init=False, repr=False, compare=False)
    surname: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        given = {normalize(self.first)}
        if self.preferred:
            given.add(normalize(self.preferred))
        object.__setattr__(self, "given", frozenset(given))
        object.__setattr__(self, "surname", normalize(self.last))

    def given_names(self) -> set[str]:
        return set(self.given)


@lru_cache(maxsize=65536)
def token_similarity(query_token: str, candidate: str) -> float:
    """0..100 for one normalised token against one name: exact, nickname, or edit-distance ratio."""
    if query_token == candidate:
        return 100.0
    if candidate in NICKNAMES.get(query_token, ()):  # "kate" → "katherine"
        return 97.0
    if len(query_token) < 4:
        return 0.0
    allowed = 1 if len(query_token) < 8 else 2  # typos: one edit in a short name, two in a long one
    edits = OSA.distance(query_token, candidate, score_cutoff=allowed)
    if edits <= allowed:
        return 100.0 - 7.0 * edits
    return min(float(fuzz.ratio(query_token, candidate)), 84.0)


def name_score(query: str, name: NameParts) -> float:
    """0..100: how well a typed name matches a student's name. One token matches any given name or the surname;
    two or more tokens must match a given name and the surname."""
    tokens = normalize(query).split()
    if not tokens:
        return 0.0
    given, last = name.given, name.surname
    if len(tokens) == 1:
        return max(max(token_similarity(tokens[0], g) for g in given), token_similarity(tokens[0], last))
    first_score = max(token_similarity(tokens[0], g) for g in given)
    if len(tokens) == 2 and len(tokens[1]) == 1:  # "Jamie O": given name and the surname's initial
        return min(first_score, 97.0) if last.startswith(tokens[1]) else 0.0
    last_score = token_similarity(" ".join(tokens[1:]), last)
    reversed_score = min(token_similarity(tokens[-1], g) for g in given) if len(tokens) == 2 else 0.0
    forward = min(first_score, last_score)
    backward = min(reversed_score, token_similarity(tokens[0], last)) if len(tokens) == 2 else 0.0
    return max(forward, backward)
