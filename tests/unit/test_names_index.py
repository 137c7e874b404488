"""NameIndex: the same (score, position) pairs as scoring every roster entry with name_score, for far fewer calls."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

import pytest

from agent.offline import names as offline_names
from domain.names import NICKNAMES, NameIndex, NameParts, name_index, name_score, normalize, token_similarity

FIRSTS = [
    "James", "Katherine", "Kathryn", "William", "Michael", "Elizabeth", "Samantha", "Samuel", "Daniel", "Thomas",
    "Alexander", "Alexandra", "Christopher", "Christina", "Nicholas", "Abigail", "Madison", "Madeline", "Zachary",
    "Jamie", "Riley", "Olivia", "Liam", "Noah", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia",
    "Harper", "Evelyn", "Ethan", "Mason", "Logan", "Lucas", "Jackson", "Aiden", "Elijah", "Eli", "Grace", "Chloé",
    "Zoë", "José", "Renée", "Iñigo", "Al", "Bo", "Li", "Ty", "Mary Ann", "Jean-Luc", "Anthony", "Joseph", "Matthew",
]  # fmt: skip
LASTS = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "García", "Miller", "Müller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
    "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "Ortiz",
    "Chen", "Novak", "Brooks", "Navarro", "O'Brien", "De La Cruz", "Van Der Berg", "Smith-Jones", "Li", "Ng", "Wu",
    "Nguyen", "Kowalczyk", "Schwarzenegger", "Mason", "James", "Wall", "Rose",
]  # fmt: skip
PREFERRED = ["Kate", "Will", "Bear", "Sam", "Alex", "Jimmy", "Bo", "Mack", "Zoe", "Lulu"]
FORMAL_TO_NICK = {formal: nick for nick, formals in NICKNAMES.items() for formal in formals}


def _roster(size: int, seed: int) -> list[NameParts]:
    rng = random.Random(seed)
    return [
        NameParts(rng.choice(FIRSTS), rng.choice(LASTS), rng.choice(PREFERRED) if rng.random() < 0.15 else None)
        for _ in range(size)
    ]


def _typo(word: str, rng: random.Random, edits: int) -> str:
    chars = list(word)
    for _ in range(edits):
        op, at = rng.randrange(4), rng.randrange(max(len(chars), 1))
        if op == 0 and chars:
            chars[at] = rng.choice(string.ascii_lowercase)
        elif op == 1:
            chars.insert(at, rng.choice(string.ascii_lowercase))
        elif op == 2 and len(chars) > 1:
            del chars[at]
        elif len(chars) > 1:
            at = min(at, len(chars) - 2)
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
    return "".join(chars)


def _queries(roster: list[NameParts], seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    fixed = [
        "", "   ", "!!!", "12345", "Zoë Müller", "Zoe Muller", "zoe", "ZOË", "Jamie O", "jamie o.", "Ortiz Jamie",
        "de la cruz", "Eli De La Cruz", "eli de la kruz", "Eli Van Der Berg", "van der berg eli", "Mary Ann Lee",
        "Katie Brooks", "kate", "bill", "Jimmy Chen", "Al", "al li", "Li Al", "xq", "q", "Jamie X", "Smith Jones",
        "Jean Luc", "Inigo Wu", "Schwarzeneger", "Shwarzenegger", "kowalcyzk", "a b c d", "the gym teacher",
    ]  # fmt: skip
    queries = list(fixed)
    while len(queries) < count:
        n = rng.choice(roster)
        first, last = rng.choice(sorted(n.given)), n.surname
        nick = FORMAL_TO_NICK.get(first, first)
        shape = rng.randrange(12)
        if shape == 0:
            queries.append(rng.choice([n.first, n.last, n.preferred or n.first]))
        elif shape == 1:
            queries.append(f"{n.first} {n.last}")
        elif shape == 2:
            queries.append(f"{n.last} {n.first}")
        elif shape == 3:
            queries.append(f"{first} {last[:1]}")
        elif shape == 4:
            queries.append(f"{nick} {last}")
        elif shape == 5:
            queries.append(_typo(rng.choice([first, last]), rng, rng.randint(1, 3)))
        elif shape == 6:
            queries.append(f"{_typo(first, rng, rng.randint(0, 2))} {_typo(last, rng, rng.randint(0, 2))}")
        elif shape == 7:
            queries.append(f"{_typo(last, rng, rng.randint(0, 2))} {_typo(first, rng, 1)}")
        elif shape == 8:  # someone else's first name with this surname, or a name nobody has
            queries.append(f"{rng.choice(FIRSTS)} {rng.choice(LASTS)}")
        elif shape == 9:
            queries.append(" ".join(_typo(w, rng, rng.randint(0, 2)) for w in f"{first} {last} {nick}".split()[:3]))
        elif shape == 10:
            letters = string.ascii_lowercase
            words = ["".join(rng.choices(letters, k=rng.randint(1, 9))) for _ in range(rng.randint(1, 3))]
            queries.append(" ".join(words))
        else:
            queries.append(f"{first.upper()} {_typo(last, rng, 1).title()}")
    return queries


ROSTER = _roster(300, seed=7)
QUERIES = _queries(ROSTER, seed=11, count=500)
THRESHOLDS = [85, 70, 84.0, 84.5, 86, 93, 97, 100]  # 70 and 84 scan every entry (fuzz.ratio can reach them)


def _mismatches(index: NameIndex, roster: list[NameParts], queries: list[str], thresholds: list[float]) -> list[str]:
    wrong = []
    for query in queries:
        brute = [(name_score(query, n), i) for i, n in enumerate(roster)]  # the reference: every entry scored
        for threshold in thresholds:
            want = [(s, i) for s, i in brute if s >= threshold]
            got = index.scores_at_least(query, threshold)
            if got != want or index.any_at_least(query, threshold) != bool(want):
                wrong.append(f"{query!r} at {threshold}: index {got[:5]}, brute force {want[:5]}")
    return wrong


def test_the_index_gives_exactly_the_brute_force_scores_at_and_below_the_fuzzy_cap() -> None:
    queries_that_match = sum(any(name_score(q, n) >= 85 for n in ROSTER) for q in QUERIES)
    assert queries_that_match > len(QUERIES) // 2  # the queries do exercise matches, not only misses
    assert _mismatches(NameIndex(ROSTER), ROSTER, QUERIES, THRESHOLDS) == []


def test_the_comparison_catches_an_index_that_misses_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check has teeth: an index that drops nicknames and typos in the first letters, or all but exact names,
    is caught."""
    real = NameIndex.similar
    queries = QUERIES[:150]
    monkeypatch.setattr(NameIndex, "similar", lambda self, token: [c for c in real(self, token) if c[:2] == token[:2]])
    assert _mismatches(NameIndex(ROSTER), ROSTER, queries, [85])
    monkeypatch.setattr(NameIndex, "similar", lambda self, token: [c for c in real(self, token) if c == token])
    assert _mismatches(NameIndex(ROSTER), ROSTER, queries, [85])


def test_similar_is_exactly_the_names_token_similarity_puts_above_the_cap() -> None:
    index = NameIndex(ROSTER)
    strings = {s for n in ROSTER for s in (*n.given, n.surname)}
    for query in QUERIES:
        for token in {*normalize(query).split(), " ".join(normalize(query).split()[1:])} - {""}:
            assert set(index.similar(token)) == {s for s in strings if token_similarity(token, s) >= 85}, token


def _old_is_name_token(token: str, tokens: frozenset[str]) -> bool:  # agent/offline/names.py before the index
    if token in tokens:
        return True
    if len(token) < 4:
        return False
    return any(token_similarity(token, t) >= 85 for t in tokens if t[:1] == token[:1])


def test_the_planner_reads_the_same_name_tokens_as_before() -> None:
    index = NameIndex(ROSTER)
    tokens = frozenset(t for n in ROSTER for t in (*n.given, n.surname))
    words = {w for q in QUERIES for w in normalize(q).split()} | {w + "s" for w in tokens}
    for word in words:
        assert offline_names._is_name_token(word, index) == _old_is_name_token(word, tokens), word


def test_the_planner_finds_names_on_a_large_roster() -> None:
    roster = [*ROSTER, NameParts("Jamie", "Ortiz"), NameParts("Katherine", "Brooks")]
    assert offline_names.find_student_name("show me jamie ortiz's allergies", roster) == "jamie ortiz"
    assert offline_names.find_student_name("Katie Brooks rolled her ankle", roster) == "Katie Brooks"
    assert offline_names.find_student_name("Jamie Qqqqq twisted a knee", roster) == "Jamie"


@dataclass
class _Row:
    id: int
    name: NameParts


def test_the_index_is_built_once_per_roster_object_and_rebuilt_when_it_grows() -> None:
    rows = [_Row(i, n) for i, n in enumerate(ROSTER[:50])]
    index = name_index(rows, lambda r: r.name)
    assert name_index(rows, lambda r: r.name) is index
    assert [rows[i].id for _, i in index.scores_at_least(f"{ROSTER[3].first} {ROSTER[3].last}")] == [
        r.id for r in rows if name_score(f"{ROSTER[3].first} {ROSTER[3].last}", r.name) >= 85
    ]
    rows.append(_Row(99, NameParts("Quincy", "Zed")))
    assert name_index(rows, lambda r: r.name) is not index
    assert [rows[i].id for _, i in name_index(rows, lambda r: r.name).scores_at_least("quincy")] == [99]
    names = list(ROSTER[:10])
    assert name_index(names) is name_index(names)
    assert name_index(names) is not name_index(list(names))
