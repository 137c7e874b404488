"""Score the offline planner on the labelled recording utterances (attendance, fitness, skills, equipment)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.offline.intents import classify
from domain.names import NameParts, normalize
from tests.support.planner_eval import Score, _class_matches

DATA = Path(__file__).resolve().parent.parent / "agent_data" / "records_utterances.json"
HELD_OUT = DATA.with_name("records_utterances_heldout.json")


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return json.loads(path.read_text())


def _words(value: object) -> set[str]:
    return set(normalize(str(value or "")).split())


def _same_name(label: object, got: object) -> bool:
    a, b = _words(label), _words(got)
    return bool(a) and (a <= b or b <= a)


def _stem(word: str) -> str:
    return word[:-2] if word.endswith("es") else word[:-1] if word.endswith("s") else word


def _loose(label: object, got: object) -> bool:
    a = {_stem(w) for w in _words(label)}
    b = {_stem(w) for w in _words(got)}
    return bool(a) and bool(b) and bool(a & b)


def _pairs(label: list[dict[str, Any]], got: list[dict[str, Any]], key: str) -> bool:
    """Same students (as written) with the same status / value / level, in any order."""
    if len(label) != len(got):
        return False
    remaining = list(got)
    for item in label:
        hit = next((g for g in remaining if _same_name(item["student"], g.get("student"))
                    and str(item[key]) == str(g.get(key))), None)
        if hit is None:
            return False
        remaining.remove(hit)
    return True


def args_match(tool: str, label: dict[str, Any], got: dict[str, Any]) -> bool:
    if tool == "take_attendance":
        return _class_matches(label.get("class"), got.get("class")) and _pairs(label["marks"], got.get("marks", []), "status")
    if tool == "record_fitness":
        return label.get("test") == got.get("test") and _pairs(label["results"], got.get("results", []), "value")
    if tool == "record_skills":
        return _loose(label.get("skill"), got.get("skill")) and _pairs(label["levels"], got.get("levels", []), "level")
    if tool == "check_equipment":
        want = sorted((p["item"] or "", p["result"]) for p in label["problems"])
        have = sorted((p.get("item") or "", p.get("result")) for p in got.get("problems", []))
        return _loose(label.get("equipment"), got.get("equipment")) and want == have
    return False


def score(items: list[dict[str, Any]], roster: list[NameParts], now: datetime) -> Score:
    result = Score()
    for item in items:
        intent = classify(item["text"], roster, now)
        kind = item["tool"]
        result.total[kind] += 1
        if intent.name == kind:
            result.tool_ok[kind] += 1
            if args_match(kind, item["args"], intent.arguments):
                result.full_ok[kind] += 1
                continue
        result.misses.append(f"#{item['id']} {item['text']!r}: {intent.name} {json.dumps(intent.arguments)}")
    return result
