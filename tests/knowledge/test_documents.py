"""Parsing, front-matter validation and chunk ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import CORPUS_DIR
from knowledge.chunking import MAX_WORDS, chunk_document
from knowledge.documents import DocumentError, corpus_files, grade_range, load_document, parse_document, slugify

CORPUS = CORPUS_DIR
LABELLED = Path(__file__).resolve().parents[1] / "knowledge_data" / "retrieval_set.json"

FRONT = """---
title: Test Protocol
kind: safety
audience: all-staff
grade_band: K-12
version: 1.0
reviewed_by: Nurse Office
reviewed_on: 2026-08-01
{extra}---
# Test Protocol

## Purpose
Why this exists.

## When to Call 911
Call at once.
"""


def doc_text(extra: str = "", **replace_fields: str) -> str:
    text = FRONT.format(extra=extra)
    for key, value in replace_fields.items():
        text = "\n".join(f"{key}: {value}" if line.startswith(f"{key}:") else line for line in text.splitlines())
    return text


def test_a_valid_document_parses_with_its_front_matter_and_a_content_hash() -> None:
    doc = parse_document(doc_text(), "test-protocol")
    assert (doc.title, doc.kind, doc.grade_band, doc.version, doc.approved) == (
        "Test Protocol", "safety", "K-12", "1.0", True)
    assert doc.reviewed_on.isoformat() == "2026-08-01"
    assert len(doc.content_hash) == 64
    assert parse_document(doc_text(), "test-protocol").content_hash == doc.content_hash


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "gossip"}, "kind must be one of"),
        ({"grade_band": "K-13"}, "grade band"),
        ({"reviewed_on": "last week"}, "reviewed_on must be an ISO date"),
        ({"version": "new"}, "version must look like"),
        ({"title": ""}, "missing front matter field(s): title"),
    ],
)
def test_invalid_front_matter_is_refused_naming_the_field(change: dict[str, str], message: str) -> None:
    with pytest.raises(DocumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_document(doc_text(**change), "test-protocol")


def test_a_file_without_front_matter_is_refused() -> None:
    with pytest.raises(DocumentError, match="missing front matter"):
        parse_document("# Title\n\n## Section\ntext\n", "x")


def test_a_document_can_be_marked_unapproved() -> None:
    assert parse_document(doc_text(extra="approved: false\n"), "draft").approved is False


def test_grade_bands_become_ranges_with_kindergarten_as_zero() -> None:
    assert grade_range("K-2") == (0, 2)
    assert grade_range("6-12") == (6, 12)
    assert grade_range("7") == (7, 7)


def test_slugs_collapse_every_run_of_non_alphanumerics() -> None:
    assert slugify("When to Call 911") == "when-to-call-911"
    assert slugify("Immediate Actions: Stay, Safe, Side!") == "immediate-actions-stay-safe-side"
    assert slugify("  Roles & Responsibilities ") == "roles-responsibilities"


def test_chunks_carry_the_title_prefix_and_ids_of_the_form_slug_hash_section() -> None:
    chunks = chunk_document(parse_document(doc_text(), "test-protocol"))
    assert [c.id for c in chunks] == ["test-protocol#purpose", "test-protocol#when-to-call-911"]
    assert chunks[1].content.startswith("Test Protocol — When to Call 911\n")
    plain = chunk_document(parse_document(doc_text(), "test-protocol"), title_prefix=False)
    assert plain[0].content == "Why this exists."


def test_a_repeated_heading_and_a_long_section_get_numbered_suffixes() -> None:
    long_body = " ".join(f"Sentence number {i} about safe play." for i in range(120))  # ~720 words
    doc = parse_document(doc_text() + f"\n## Purpose\nAgain.\n\n## Long Part\n{long_body}\n", "test-protocol")
    ids = [c.id for c in chunk_document(doc)]
    assert ids[:3] == ["test-protocol#purpose", "test-protocol#when-to-call-911", "test-protocol#purpose-2"]
    long_ids = [i for i in ids if i.startswith("test-protocol#long-part")]
    assert long_ids[:2] == ["test-protocol#long-part", "test-protocol#long-part-2"] and len(long_ids) >= 4
    assert all(len(c.content.split()) <= MAX_WORDS + 12 for c in chunk_document(doc))
    assert len(set(ids)) == len(ids)


def test_the_corpus_parses_and_every_labelled_chunk_id_exists_exactly_once() -> None:
    documents = [load_document(p) for p in corpus_files(CORPUS)]
    assert len(documents) >= 30
    ids = [c.id for d in documents for c in chunk_document(d)]
    assert len(ids) == len(set(ids))
    expected = {cid for q in json.loads(LABELLED.read_text()) for cid in q["expect"]}
    assert expected <= set(ids)
    test_set = json.loads(LABELLED.with_name("retrieval_test_set.json").read_text())
    assert {cid for q in test_set for cid in q["expect"]} <= set(ids)


def test_the_test_set_is_its_own_questions_answerable_and_not() -> None:
    labelled = {q["q"].lower() for q in json.loads(LABELLED.read_text())}
    test_set = json.loads(LABELLED.with_name("retrieval_test_set.json").read_text())
    assert len(test_set) >= 40 and not [q["q"] for q in test_set if q["q"].lower() in labelled]
    answerable = [q for q in test_set if q["expect"]]
    assert len(answerable) >= 30 and len(test_set) - len(answerable) >= 8


def test_chunk_ids_and_hashes_are_stable_and_a_section_edit_changes_only_its_own_hash() -> None:
    doc = load_document(CORPUS / "safety" / "concussion-recognition.md")
    first = chunk_document(doc)
    assert first == chunk_document(doc)
    path = CORPUS / "safety" / "concussion-recognition.md"
    edited = parse_document(path.read_text().replace("when in doubt, sit them out", "when unsure, sit them out"),
                            "concussion-recognition")
    changed = [a.id for a, b in zip(first, chunk_document(edited), strict=True) if a.content_hash != b.content_hash]
    assert changed == ["concussion-recognition#purpose"]
