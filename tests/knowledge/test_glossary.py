"""The district glossary: lay terms map to document vocabulary on word boundaries, never inside other words."""

from __future__ import annotations

from knowledge.action_answer import topic_words
from knowledge.chunking import Chunk, passages
from knowledge.glossary import GLOSSARY, expand, translated


def test_lay_terms_expand_to_the_documents_words() -> None:
    assert "nosebleed" in expand("my student has a bloody nose").split()
    assert "pacer" in expand("how do I run the beep test").split()
    assert "anaphylaxis" in expand("feels like her throat closing up").split()
    assert {"fainting", "syncope"} <= set(expand("he passed out in line").split())
    assert "wet" in expand("what WBGT cancels practice").split()
    assert "seizure" in expand("liam is still fitting on the mat").split()  # British; "fit" + "ing" is not "fitting"


def test_one_other_word_may_stand_between_the_words_of_a_phrase_but_not_two() -> None:
    assert "anaphylaxis" in expand("his throat is swelling").split()
    assert "nosebleed" in expand("a bloody little nose").split()
    assert expand("the throat of a kid is swelling") == ""
    assert expand("throatswelling") == ""


def test_phrases_match_whole_words_only_and_unknown_queries_add_nothing() -> None:
    assert expand("fitness testing for sixth grade") == ""  # "fit" is not inside "fitness"
    assert expand("quarterly budget meeting") == ""
    assert all(k == k.lower() and v.strip() for k, v in GLOSSARY.items())


def test_a_word_the_glossary_translates_is_never_a_topic_the_documents_miss() -> None:
    # "knife" and "sticky" are in no document, but the glossary knows them as the lockdown's weapon and the heat
    # protocol's humidity: a message about them is not one the documents don't cover
    assert "knife" in translated("someone with a knife was seen by the parking lot")
    assert topic_words("someone with a knife was seen by the parking lot", ["knife", "park"]) == "parking"
    assert topic_words("its 99 degrees and sticky, do i keep them in", ["sticky"]) == ""
    assert topic_words("a hurricane is coming, do we go in", ["hurrican"]) == "hurricane"  # nothing translates it


def test_passages_are_sentences_with_the_chunk_title_line() -> None:
    body = "Doc — S\nFirst sentence is here. Second one follows on.\n- A list item too\nok"
    chunk = Chunk("doc#s", 0, "S", body, "h")
    assert passages(chunk, size=1) == ["Doc — S\nFirst sentence is here.", "Doc — S\nSecond one follows on.",
                                       "Doc — S\nA list item too"]
    assert passages(chunk) == ["Doc — S\nFirst sentence is here. Second one follows on.", "Doc — S\nA list item too"]
