"""Name matching that tolerates accents, case, small typos and common nicknames."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar, cast

from rapidfuzz import fuzz, process
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
FUZZY_CAP = 84.0  # token_similarity's ceiling for a fuzz.ratio score: anything higher is exact, a nickname or an edit


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
    return min(float(fuzz.ratio(query_token, candidate)), FUZZY_CAP)


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


class NameIndex:
    """A roster's names, indexed so a typed name is scored only against the entries that can reach a threshold
    above FUZZY_CAP: such an entry has a given name or surname that token_similarity puts above the cap for the
    query's first token (exact, nickname, or within its edit allowance), since every way name_score can pass needs
    one (the first token against a given name going forward or with a surname initial, against the surname reversed).
    Scores are name_score's own; thresholds at or below FUZZY_CAP scan every entry."""

    __slots__ = ("_by_length", "_entries", "names")

    def __init__(self, names: Sequence[NameParts]) -> None:
        self.names = list(names)
        entries: dict[str, list[int]] = {}  # a normalised given name or surname -> the positions that have it
        for i, name in enumerate(self.names):
            for s in (*name.given, name.surname):
                entries.setdefault(s, []).append(i)
        by_length: dict[int, list[str]] = {}  # k edits can only reach a name within k letters of the token's length
        for s in entries:
            by_length.setdefault(len(s), []).append(s)
        self._entries = entries
        self._by_length = by_length

    def __contains__(self, token: str) -> bool:
        """Whether the normalised token is exactly one of the roster's given names or surnames."""
        return token in self._entries

    def similar(self, token: str) -> list[str]:
        """The roster's given names and surnames c with token_similarity(token, c) > FUZZY_CAP (may repeat one)."""
        found = [c for c in NICKNAMES.get(token, ()) if c in self._entries]
        if len(token) < 4:
            return [*found, token] if token in self._entries else found
        allowed = 1 if len(token) < 8 else 2
        for size in range(len(token) - allowed, len(token) + allowed + 1):
            if strings := self._by_length.get(size):
                close = process.extract(
                    token, strings, scorer=OSA.distance, processor=None, score_cutoff=allowed, limit=None
                )
                found += [c for c, _, _ in close]
        return found

    def _pool(self, query: str, threshold: float) -> Sequence[int]:
        """The positions that can score ``threshold`` or more, in roster order."""
        if threshold <= FUZZY_CAP:
            return range(len(self.names))
        tokens = normalize(query).split()
        if not tokens:
            return ()
        return sorted({i for c in self.similar(tokens[0]) for i in self._entries[c]})

    def scores_at_least(self, query: str, threshold: float = MATCH_THRESHOLD) -> list[tuple[float, int]]:
        """[(name_score(query, names[i]), i)] for every position i that scores ``threshold`` or more, by position."""
        names = self.names
        scored = ((name_score(query, names[i]), i) for i in self._pool(query, threshold))
        return [(s, i) for s, i in scored if s >= threshold]

    def any_at_least(self, query: str, threshold: float = MATCH_THRESHOLD) -> bool:
        """Whether any entry scores ``threshold`` or more."""
        names = self.names
        return any(name_score(query, names[i]) >= threshold for i in self._pool(query, threshold))


T = TypeVar("T")
_INDEXES: dict[int, tuple[Sequence[object], int, NameIndex]] = {}  # id(roster) -> (roster, its length, index)


def name_index(roster: Sequence[T], name: Callable[[T], NameParts] | None = None) -> NameIndex:
    """The NameIndex of ``roster`` (of NameParts, or of rows whose NameParts ``name`` gives), built once per roster
    object: keep the roster unchanged while it is in use (the cache keys on its identity and length). Positions in
    the index are positions in ``roster``."""
    cached = _INDEXES.get(id(roster))
    if cached is not None and cached[0] is roster and cached[1] == len(roster):
        return cached[2]
    index = NameIndex([name(r) for r in roster] if name else cast(Sequence[NameParts], roster))
    if len(_INDEXES) >= 64:
        _INDEXES.clear()
    _INDEXES[id(roster)] = (roster, len(roster), index)
    return index
