"""Dynamic typeahead for card pickers (``Input.ChoiceSet`` with ``choices.data = Data.Query``).

Teams sends an ``application/search`` invoke with ``value = {queryText, queryOptions: {skip, top}, dataset}`` and
shows the ``results`` (at most 15) of a ``application/vnd.microsoft.search.searchResponse``. The only dataset is
``students``: the caller's roster (``StudentService.roster``, scoped per role), matched by name prefix or the same
fuzzy name score as the chat path. A student outside the roster is never returned."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import grade_label
from domain.actor import Actor
from domain.names import MATCH_THRESHOLD, NameParts, name_score, normalize
from tools.base import Services

SEARCH_RESPONSE = "application/vnd.microsoft.search.searchResponse"
STUDENTS = "students"
MAX_RESULTS = 15  # Teams shows at most 15 options
MAX_QUERY_CHARS = 100
ROSTER_LIMIT = 10_000


def search_response(results: list[dict[str, str]]) -> dict[str, Any]:
    return {"statusCode": 200, "type": SEARCH_RESPONSE, "value": {"results": results}}


async def search(actor: Actor | None, services: Services, value: object) -> dict[str, Any]:
    """The invoke response body for one search. Unknown callers and datasets get no results."""
    params: dict[str, Any] = value if isinstance(value, dict) else {}
    if actor is None or params.get("dataset") != STUDENTS:
        return search_response([])
    query = params.get("queryText")
    query = query[:MAX_QUERY_CHARS] if isinstance(query, str) else ""
    raw_options = params.get("queryOptions")
    options: dict[str, Any] = raw_options if isinstance(raw_options, dict) else {}
    skip, top = _int(options.get("skip"), 0, 0, ROSTER_LIMIT), _int(options.get("top"), MAX_RESULTS, 1, MAX_RESULTS)
    roster = await services.students.roster(actor, limit=ROSTER_LIMIT)
    matches = match_students(query, roster)
    page = matches[skip:skip + top]
    return search_response([{"title": _title(name, grade), "value": str(sid)} for sid, name, grade in page])


def match_students(query: str, roster: list[tuple[int, str, int]]) -> list[tuple[int, str, int]]:
    """Roster entries matching a partly typed name, best first: every typed word starts a word of the name, or the
    whole query scores as a (possibly misspelt) name. An empty query lists the roster in order."""
    tokens = normalize(query).split()
    if not tokens:
        return list(roster)
    scored: list[tuple[float, str, tuple[int, str, int]]] = []
    for entry in roster:
        words = normalize(entry[1]).split()
        if all(any(w.startswith(t) for w in words) for t in tokens):
            score = 101.0  # prefix matches first: this is what the user is typing
        else:
            first, _, last = entry[1].partition(" ")
            score = name_score(query, NameParts(first, last or first))
            if score < MATCH_THRESHOLD:
                continue
        scored.append((score, entry[1], entry))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [entry for _, _, entry in scored]


def _title(name: str, grade: int) -> str:
    return f"{name} (grade {grade_label(grade)})"


def _int(raw: object, default: int, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return default
    try:
        number = int(raw)
    except ValueError:
        return default
    return max(low, min(high, number))
