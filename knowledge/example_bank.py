"""The example bank: how teachers describe each safety topic in their own words (``knowledge/topic_examples/*.json``).

Each bank file is a JSON object: a catalogue topic's name (``knowledge.topics.CATALOGUE``) or a new topic's (of any
bank file) → its examples;
``"_new_topics"`` → topics the catalogue lacks, each ``{"name", "terms", "examples"}``; ``"_others"`` → messages that
are not a situation happening now (ordinary requests to the assistant); ``"_note"`` → where the examples come from;
``"_asked_ahead": true`` → the file's topic examples are questions asked ahead of time (they name the topic, but are
not a situation happening now: ``knowledge.situations`` leaves them out).
The examples were written by people who had read the district's documents and general first-aid knowledge, never the
evaluation sets (each file's note says who and when).

A broken bank is a programming error, found by the test that loads it: an unknown topic name, an example that is not a
string, a new topic without terms."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BANK_DIR = Path(__file__).with_name("topic_examples")


@dataclass(frozen=True, slots=True)
class NewTopic:
    name: str
    terms: tuple[str, ...]
    examples: tuple[str, ...]


@dataclass(slots=True)
class Bank:
    examples: dict[str, list[str]] = field(default_factory=dict)  # catalogue topic name → extra examples
    new_topics: list[NewTopic] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    asked: set[str] = field(default_factory=set)  # a file's examples asked ahead of time ("_asked_ahead")


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: expected a list of non-empty strings")
    return [" ".join(v.split()) for v in value]


def load_bank(directory: Path = BANK_DIR, known: set[str] | None = None) -> Bank:
    """Every bank file in ``directory`` (sorted by name), merged; ``known``: the catalogue's topic names, to check
    every key against (with the new topics' names)."""
    bank = Bank()
    wheres: dict[str, str] = {}  # each topic key → where it was first given
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path.name}: expected a JSON object")
        for key, value in data.items():
            where = f"{path.name}: {key!r}"
            if key in ("_note", "_asked_ahead"):
                continue
            if key == "_others":
                bank.others += _strings(value, where)
            elif key == "_new_topics":
                for i, topic in enumerate(value if isinstance(value, list) else [None]):
                    if not isinstance(topic, dict) or not isinstance(topic.get("name"), str):
                        raise ValueError(f"{where}[{i}]: expected {{name, terms, examples}}")
                    terms = _strings(topic.get("terms"), f"{where}[{i}].terms")
                    bank.new_topics.append(NewTopic(topic["name"], tuple(t.lower() for t in terms),
                                                    tuple(_strings(topic.get("examples"), f"{where}[{i}].examples"))))
            elif key.startswith("_"):
                raise ValueError(f"{where}: not a catalogue topic")
            else:
                examples = _strings(value, where)
                bank.examples.setdefault(key, []).extend(examples)
                wheres.setdefault(key, where)
                if data.get("_asked_ahead") is True:
                    bank.asked.update(examples)
    if known is not None:  # a key names a catalogue topic or a new topic of any bank file
        names = known | {n.name for n in bank.new_topics}
        for key, where in wheres.items():
            if key not in names:
                raise ValueError(f"{where}: not a catalogue topic")
    return bank
