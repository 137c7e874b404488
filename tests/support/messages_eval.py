"""Score the offline planner's routing to ``message_home`` (tests/agent_data/message_home_utterances.json, the tuning
set, and message_home_heldout.json, written before any rule and never edited): the tool, then its arguments — the
kind, the student (label words = predicted words), the class (same number) and the language when the label names one.
Near misses (a message that is not a message home) score on the tool and the student only."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.offline.intents import classify
from domain.messages_home import languages
from domain.names import NameParts, normalize
from tests.support.planner_eval import NO_TOOL, Score, _class_matches

DATA = Path(__file__).resolve().parent.parent / "agent_data" / "message_home_utterances.json"
HELD_OUT = DATA.with_name("message_home_heldout.json")


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text()))


def _same_name(label: object, got: object) -> bool:
    if label is None:
        return got is None
    return normalize(str(label)) == normalize(str(got or ""))


def args_match(tool: str | None, label: dict[str, Any], got: dict[str, Any]) -> bool:
    if tool == "message_home":
        return (label["kind"] == got.get("kind") and _same_name(label.get("student"), got.get("student"))
                and (label.get("class") is None or _class_matches(label["class"], got.get("class")))
                and (label.get("language") is None
                     or languages.normalize(label["language"]) == languages.normalize(got.get("language"))))
    if "student" in label:
        return _same_name(label["student"], got.get("student"))
    if "query" in label:
        return _same_name(label["query"], got.get("query"))
    return True


def score(items: list[dict[str, Any]], roster: list[NameParts], now: datetime) -> Score:
    result = Score()
    for item in items:
        intent = classify(item["text"], roster, now)
        tool = item["tool"]
        group = "message_home" if tool == "message_home" else "near miss"
        result.total[group] += 1
        if intent.name == tool or (tool is None and intent.name in NO_TOOL):
            result.tool_ok[group] += 1
            if args_match(tool, item["args"], intent.arguments):
                result.full_ok[group] += 1
                continue
        result.misses.append(f"#{item['id']} {item['text']!r}: {intent.name} {json.dumps(intent.arguments)}")
    return result
