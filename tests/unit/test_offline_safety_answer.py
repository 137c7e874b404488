"""The offline reply to a protocol search: a situation leads with the numbered steps, then when to call 911, then whom
to notify, background only as see-also; nothing found says the documents don't cover it and names no source."""

from __future__ import annotations

from agent.offline.answers import knowledge_answer

STEPS = "1. Check responsiveness: tap and shout.\n2. Send someone for the AED."


def test_a_situation_leads_with_the_steps_as_numbered_then_911_then_notify() -> None:
    result = {
        "status": "found", "query": "kid collapsed",
        "passages": [
            {"cite": "[1]", "title": "Cardiac Arrest", "section": "Immediate Actions", "text": STEPS, "role": "steps"},
            {"cite": "[2]", "title": "Cardiac Arrest", "section": "When to Call 911", "text": "Call 911 at once.",
             "role": "call_911"},
            {"cite": "[3]", "title": "Cardiac Arrest", "section": "Notification", "role": "notify",
             "text": "Tell the nurse. Tell the office. Write a report later."},
        ],
        "see_also": [{"cite": "[4]", "title": "Cardiac Arrest", "section": "Purpose"}],
    }
    text = knowledge_answer(result)
    assert text.startswith("**Cardiac Arrest**\n**Immediate Actions** [1]\n" + STEPS)
    assert text.index(STEPS) < text.index("Call 911 at once.") < text.index("Tell the nurse. Tell the office.")
    assert "Write a report later" not in text  # whom to notify: the first two sentences
    assert text.endswith("See also: Cardiac Arrest — Purpose [4].")


def test_nothing_found_names_the_topic_and_offers_a_close_document_only_as_related() -> None:
    text = knowledge_answer({"status": "no_source", "message": "...", "topic": "tornado", "related": "Lightning"})
    assert text.startswith("The district's documents don't cover tornado. Related: Lightning.")
    assert "[" not in text
    assert knowledge_answer({"status": "no_source", "message": "..."}).startswith(
        "The district's documents don't cover that.")
