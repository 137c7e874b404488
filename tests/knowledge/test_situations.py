"""knowledge.situations: is a message describing a situation happening now? The nearest labelled example decides
when it is clear; the classifier over the same MiniLM vectors (trained on the examples and the example bank) decides
the rest, guarded by the nearest example."""

from __future__ import annotations

import pytest

from knowledge import situations


def _nearest_alone(text: str) -> bool:
    positive, negative = situations.nearest(situations.embed(text))
    return positive >= situations.MIN_SIMILARITY and positive - negative >= situations.MARGIN


@pytest.mark.parametrize("text", ["a raccoon got into the equipment closet and scratched one of my second graders",
                                  "a wasp got one of my kids on the neck and now her voice sounds funny"])
def test_the_classifier_reads_a_situation_no_example_is_near_enough(text: str) -> None:
    assert not _nearest_alone(text)  # the nearest example alone: not clearly a situation
    assert situations.situation_probability(situations.embed(text)) >= situations.CLASSIFIER_FLOOR
    assert situations.is_situation(text)


@pytest.mark.parametrize("text", ["yo faraday whats up", "what's the capital of France", "the PACER speaker is broken",
                                  "show me eli navarro's profile", "plan a 45 minute volleyball lesson for grade 7"])
def test_chatter_and_requests_are_not_situations_however_sure_the_classifier_is(text: str) -> None:
    assert not situations.is_situation(text)


def test_the_classifier_is_trained_once_and_weighs_both_classes_alike() -> None:
    model = situations._classifier()
    assert situations._classifier() is model
    p = [situations.situation_probability(situations.embed(t)) for t in ("a student collapsed and is not breathing",
                                                                         "add the staff meeting to my calendar")]
    assert p[0] > 0.9 and p[1] < 0.1
