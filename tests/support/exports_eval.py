"""Score the offline planner on the labelled export utterances (tests/agent_data/exports_utterances*.json): for
exports the tool, report, format, class (and incident number); look-alikes (labelled with the tool a reader would
expect) must not become exports — which other tool they get is the other planner rules' business."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.offline.intents import classify
from domain.names import NameParts
from tests.support.planner_eval import _class_matches

DATA = Path(__file__).resolve().parent.parent / "agent_data" / "exports_utterances.json"
HELD_OUT = DATA.with_name("exports_utterances_heldout.json")


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text()))


def matches(item: dict[str, Any], tool: str, args: dict[str, Any]) -> bool:
    if tool != item["tool"]:
        return False
    label = item["args"]
    if tool == "export_data":
        return (args.get("report") == label["report"] and (args.get("format") or "csv") == label["format"]
                and _class_matches(label.get("class"), args.get("class"))
                and args.get("incident_id") == label.get("incident_id"))
    if tool == "run_widget":
        return args.get("widget") == label.get("widget") and _class_matches(label.get("class"), args.get("class"))
    return True


@dataclass
class Score:
    exports: int = 0
    exports_ok: int = 0
    others: int = 0
    others_ok: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return (self.exports_ok + self.others_ok) / max(self.exports + self.others, 1)

    def line(self) -> str:
        return (f"exports {self.exports_ok}/{self.exports}, look-alikes kept {self.others_ok}/{self.others}, "
                f"overall {self.accuracy:.0%}")


def score(items: list[dict[str, Any]], roster: list[NameParts], now: datetime) -> Score:
    result = Score()
    for item in items:
        intent = classify(item["text"], roster, now)
        if item["tool"] == "export_data":
            ok = matches(item, intent.name, intent.arguments)
            result.exports += 1
            result.exports_ok += ok
        else:  # a look-alike: whatever else the planner makes of it, it must not become an export
            ok = intent.name != "export_data"
            result.others += 1
            result.others_ok += ok
        if not ok:
            result.misses.append(f"  #{item['id']} {item['text']!r}: {intent.name} {intent.arguments}")
    return result
