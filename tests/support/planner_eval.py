"""Score the offline planner on the labelled utterance set (tests/agent_data/utterances.json)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.offline.intents import Intent, classify
from domain.names import NameParts, normalize

DATA = Path(__file__).resolve().parent.parent / "agent_data" / "utterances.json"
HELD_OUT = DATA.with_name("utterances_heldout.json")
NO_TOOL = {"greeting", "thanks", "help", "out_of_scope", "clarify", "unknown"}


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return json.loads(path.read_text())


def _same_text(a: object, b: object) -> bool:
    return normalize(str(a or "")) == normalize(str(b or ""))


def _loose(label: object, got: object) -> bool:
    """Label words all appear in the prediction, or the other way round (activity/location/topic phrases)."""
    a, b = set(normalize(str(label or "")).split()), set(normalize(str(got or "")).split())
    return bool(a) and bool(b) and (a <= b or b <= a or len(a & b) >= 1)


def _class_matches(label: object, got: object) -> bool:
    if label is None:
        return True

    def digits(s: object) -> list[str]:
        return re.findall(r"\d+", str(s or ""))

    return got is not None and digits(label)[:1] == digits(got)[:1]


def args_match(tool: str, label: dict[str, Any], got: dict[str, Any]) -> bool:
    if tool == "lookup_student":
        return _same_text(label.get("query"), got.get("query")) and set(label.get("details") or []) == set(
            got.get("details") or []
        )
    if tool == "log_incident":
        ok = _same_text(label.get("student"), got.get("student"))
        for key in ("severity", "incident_type"):
            if label.get(key) is not None:
                ok = ok and label[key] == got.get(key)
        for key in ("activity", "location"):
            if label.get(key) is not None:
                ok = ok and _loose(label[key], got.get(key))
        return ok
    if tool == "plan_lesson":
        ok = label.get("grade") == got.get("grade") and _loose(label.get("topic"), got.get("topic"))
        if label.get("duration_minutes") is not None:
            ok = ok and label["duration_minutes"] == got.get("duration_minutes")
        return ok
    if tool == "run_widget":
        return label.get("widget") == got.get("widget") and _class_matches(label.get("class"), got.get("class"))
    if tool == "schedule_event":
        start_ok = str(got.get("start", ""))[:16] == str(label.get("start", ""))[:16]
        if label.get("duration_minutes") is not None:
            start_ok = start_ok and label["duration_minutes"] == got.get("duration_minutes")
        return start_ok
    if tool == "search_knowledge":
        return label.get("kind") is None or label.get("kind") == got.get("kind")
    if tool == "open_form":
        return label.get("form") == got.get("form")
    return True


@dataclass
class Score:
    total: Counter[str] = field(default_factory=Counter)
    tool_ok: Counter[str] = field(default_factory=Counter)
    full_ok: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def accuracy(self, key: str | None = None, *, full: bool = True) -> float:
        ok = self.full_ok if full else self.tool_ok
        if key is None:
            return sum(ok.values()) / max(1, sum(self.total.values()))
        return ok[key] / max(1, self.total[key])

    def table(self) -> str:
        rows = [f"{'intent':<18}{'n':>5}{'tool':>8}{'tool+args':>11}"]
        for key in sorted(self.total):
            rows.append(f"{key:<18}{self.total[key]:>5}{self.accuracy(key, full=False):>8.2f}{self.accuracy(key):>11.2f}")
        rows.append(f"{'all':<18}{sum(self.total.values()):>5}{self.accuracy(full=False):>8.2f}{self.accuracy():>11.2f}")
        return "\n".join(rows)


def score(items: list[dict[str, Any]], roster: list[NameParts], now: datetime) -> Score:
    result = Score()
    for item in items:
        expected = item["tool"] or "no_tool"
        intent: Intent = classify(item["text"], roster, now)
        got = intent.name if intent.name not in NO_TOOL else "no_tool"
        result.total[expected] += 1
        acceptable = {expected, *(item.get("also_ok") or [])}
        if got in acceptable:
            result.tool_ok[expected] += 1
            if got != expected or expected == "no_tool" or args_match(expected, item.get("args") or {}, intent.arguments):
                result.full_ok[expected] += 1
                continue
        result.misses.append(f"#{item['id']} {item['text']!r}: want {expected} {item.get('args')}, got {intent.name} {intent.arguments}")
    return result
