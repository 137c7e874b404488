"""knowledge.example_bank: the teacher-worded examples behind the topic and situation classifiers, checked when they
load, and the fixed example vectors cached on disk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge import embedders
from knowledge.example_bank import BANK_DIR, load_bank
from knowledge.topics import CATALOGUE, catalogue


def _write(directory: Path, name: str, data: object) -> None:
    (directory / name).write_text(json.dumps(data), encoding="utf-8")


def test_the_shipped_bank_loads_with_every_topic_known_and_many_examples_each() -> None:
    names = {t.name for t in CATALOGUE}
    bank = load_bank(known=names)
    assert bank.examples and set(bank.examples) <= names | {n.name for n in bank.new_topics}
    merged = catalogue(bank)
    assert len(merged) == len(CATALOGUE) + len({n.name for n in bank.new_topics} - names)
    thin = [t.name for t in merged if len(t.examples) < 10]
    assert not thin, f"topics with fewer than 10 examples: {thin}"
    assert all(t.terms for t in merged)  # a document can name every topic, so an admin can cover it
    assert len(bank.others) >= 50


def test_each_bank_file_says_where_its_examples_come_from() -> None:
    for path in BANK_DIR.glob("*.json"):
        note = json.loads(path.read_text(encoding="utf-8")).get("_note", "")
        assert "evaluation" in note.lower() and len(note) > 80, path.name


def test_a_broken_bank_names_the_file_and_the_key(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", {"head lice": ["nits everywhere"], "_note": "x"})
    assert load_bank(tmp_path, known={"head lice"}).examples == {"head lice": ["nits everywhere"]}
    _write(tmp_path, "b.json", {"head lies": ["a typo in the topic's name"]})
    with pytest.raises(ValueError, match=r"b\.json: 'head lies': not a catalogue topic"):
        load_bank(tmp_path, known={"head lice"})
    _write(tmp_path, "b.json", {"head lice": ["fine", 3]})
    with pytest.raises(ValueError, match=r"b\.json: 'head lice': expected a list of non-empty strings"):
        load_bank(tmp_path, known={"head lice"})
    _write(tmp_path, "b.json", {"_new_topics": [{"name": "tornadoes", "examples": ["a funnel cloud"]}]})
    with pytest.raises(ValueError, match=r"b\.json: '_new_topics'\[0\]\.terms"):
        load_bank(tmp_path, known={"head lice"})


def test_new_topics_join_the_catalogue_with_their_terms(tmp_path: Path) -> None:
    _write(tmp_path, "n.json", {"_new_topics": [{"name": "power outages", "terms": ["Power Outage", "blackout"],
                                                 "examples": ["the lights went out in the gym"]}],
                                "_others": ["mark jamal absent"]})
    bank = load_bank(tmp_path, known={t.name for t in CATALOGUE})
    topic = catalogue(bank)[-1]
    assert (topic.name, topic.terms, topic.examples) == ("power outages", ("power outage", "blackout"),
                                                         ("the lights went out in the gym",))
    assert bank.others == ["mark jamal absent"]
    _write(tmp_path, "o.json", {"power outages": ["no lights in the locker room"]})  # another file adds examples
    topic = catalogue(load_bank(tmp_path, known={t.name for t in CATALOGUE}))[-1]
    assert topic.examples == ("the lights went out in the gym", "no lights in the locker room")


def test_a_file_of_questions_asked_ahead_is_kept_apart_from_situations_happening_now(tmp_path: Path) -> None:
    _write(tmp_path, "q.json", {"_asked_ahead": True, "head lice": ["do we send a kid home for nits"]})
    _write(tmp_path, "s.json", {"head lice": ["nits everywhere in her hair"]})
    bank = load_bank(tmp_path, known={"head lice"})
    assert bank.examples["head lice"] == ["do we send a kid home for nits", "nits everywhere in her hair"]
    assert bank.asked == {"do we send a kid home for nits"}


def test_fixed_vectors_are_computed_once_then_read_from_the_cache(tmp_path: Path, monkeypatch, minilm) -> None:
    monkeypatch.setenv("FARADAY_CACHE_DIR", str(tmp_path))
    texts = ["a kid is wheezing after the mile", "plan a volleyball lesson"]
    first = embedders.encode_fixed(texts)
    cached = list(tmp_path.glob("examples-*.npy"))
    assert len(cached) == 1 and first.shape == (2, embedders.MINILM_DIM)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-4)
    np.save(cached[0], first * 0.5)  # the second call reads the file: its (changed) rows come back
    assert np.allclose(embedders.encode_fixed(texts), first * 0.5)
    assert embedders.encode_fixed([*texts, "another"]).shape == (3, embedders.MINILM_DIM)  # other texts, other file
    cached[0].write_bytes(b"not a numpy file")  # a damaged cache is recomputed, not an error
    assert np.allclose(embedders.encode_fixed(texts), first, atol=1e-5)
