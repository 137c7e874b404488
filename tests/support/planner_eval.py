"""Score the offline planner on the labelled utterance sets (tests/agent_data/utterances.json, the tuning set, and
utterances_heldout.json, written blind after tuning).

Two scorers. ``lenient_args_match`` is the original one, kept so old and new figures can be compared: one shared word
passes an activity/location/topic, the search query and the event title are never scored, a tool accepted through
``also_ok`` skips the argument check, and a tool it does not know passes. ``strict_args_match`` (the one the tests'
floors use): every labelled word of a phrase (activity, location, topic, search query, event title) that the user
actually said must appear in the prediction (every label word, for a pure paraphrase), so the query and the title are
scored; a value the label leaves empty must not be invented; an ``also_ok`` tool must still name the intended
student; an unknown tool fails. Student names must match the label's words exactly (after accents, case and
punctuation), in both.

``python -m tests.support.planner_eval`` prints both figures for both sets (it runs the report test, which needs
the embedded PostgreSQL demo roster).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.offline.intent import Intent
from agent.offline.intents import classify
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


def lenient_args_match(tool: str, label: dict[str, Any], got: dict[str, Any]) -> bool:
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


# --- strict --------------------------------------------------------------------------------------------------------
STOP = frozenset({"a", "an", "the", "of", "for", "with", "to", "in", "on", "at", "and", "s", "my", "our", "is"})
STUDENT_SLOT = {"lookup_student": "query", "log_incident": "student", "run_widget": "student"}


def _words(text: object) -> set[str]:
    return set(normalize(str(text or "")).split()) - STOP


def _said(label: object, got: object, text: str) -> bool:
    """Every content word of the label that the user said appears in the prediction (every label word, when the
    label is a pure paraphrase): "one shared word" no longer passes."""
    want = _words(label)
    said = want & _words(text)
    return bool(want) and (said or want) <= _words(got)


def _empty(value: object) -> bool:
    return value is None or value == "" or value == []


def _optional(label: object, got: object, same: Any) -> bool:
    """A labelled value must match; a value the label leaves empty must not be invented."""
    return _empty(got) if _empty(label) else same(label, got)


def strict_args_match(tool: str, label: dict[str, Any], got: dict[str, Any], text: str = "") -> bool:
    phrase = lambda a, b: _said(a, b, text)  # noqa: E731
    if tool == "lookup_student":
        return _same_text(label.get("query"), got.get("query")) and set(label.get("details") or []) == set(
            got.get("details") or [])
    if tool == "log_incident":
        return (_same_text(label.get("student"), got.get("student"))
                and all(_optional(label.get(k), got.get(k), lambda a, b: a == b) for k in ("severity", "incident_type"))
                and all(_optional(label.get(k), got.get(k), phrase) for k in ("activity", "location")))
    if tool == "plan_lesson":
        return (label.get("grade") == got.get("grade") and phrase(label.get("topic"), got.get("topic"))
                and _optional(label.get("duration_minutes"), got.get("duration_minutes"), lambda a, b: a == b))
    if tool == "run_widget":
        return label.get("widget") == got.get("widget") and _optional(label.get("class"), got.get("class"),
                                                                      _class_matches)
    if tool == "schedule_event":
        return (str(got.get("start", ""))[:16] == str(label.get("start", ""))[:16]
                and phrase(label.get("title"), got.get("title"))
                and _optional(label.get("duration_minutes"), got.get("duration_minutes"), lambda a, b: a == b))
    if tool == "search_knowledge":
        return phrase(label.get("query"), got.get("query")) and _optional(
            label.get("kind"), got.get("kind"), lambda a, b: a == b)
    if tool == "open_form":
        return label.get("form") == got.get("form")  # None: the forms menu
    return False  # a tool the scorer does not know is not a pass


def strict_alternative_ok(item: dict[str, Any], tool: str, got: dict[str, Any]) -> bool:
    """An ``also_ok`` tool: it must name the intended student (the label's, or one named in the utterance) exactly,
    and a knowledge search must carry a query."""
    label = item.get("args") or {}
    wanted = label.get(STUDENT_SLOT.get(item["tool"] or "", ""))
    named = got.get(STUDENT_SLOT.get(tool, ""))
    if tool == "search_knowledge":
        return bool(_words(got.get("query")))
    if tool == "open_form":
        return not _empty(got.get("form")) and (_empty(named))
    if tool not in STUDENT_SLOT:
        return False
    if _empty(wanted):
        return not _empty(named) and _words(named) <= _words(item["text"])
    return _same_text(wanted, named)


args_match = strict_args_match


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


def score(items: list[dict[str, Any]], roster: list[NameParts], now: datetime, *, strict: bool = True) -> Score:
    """Tool and tool+arguments accuracy per labelled tool; ``strict=False`` is the original lenient scorer."""
    result = Score()
    for item in items:
        expected = item["tool"] or "no_tool"
        intent: Intent = classify(item["text"], roster, now)
        got = intent.name if intent.name not in NO_TOOL else "no_tool"
        result.total[expected] += 1
        acceptable = {expected, *(item.get("also_ok") or [])}
        if got in acceptable:
            result.tool_ok[expected] += 1
            if expected == "no_tool" and got == "no_tool":
                ok = True
            elif not strict:
                ok = got != expected or lenient_args_match(expected, item.get("args") or {}, intent.arguments)
            elif got == expected:
                ok = strict_args_match(expected, item.get("args") or {}, intent.arguments, item["text"])
            else:
                ok = strict_alternative_ok(item, got, intent.arguments)
            if ok:
                result.full_ok[expected] += 1
                continue
        result.misses.append(f"#{item['id']} {item['text']!r}: want {expected} {item.get('args')}, got {intent.name} {intent.arguments}")
    return result


if __name__ == "__main__":  # python -m tests.support.planner_eval: both scorers on both sets
    import subprocess
    import sys

    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s",
                              "tests/agent/test_offline_planner_accuracy.py", "-k", "report"]))
