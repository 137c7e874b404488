"""A card attached to a reply is shared, not copied, by botbuilder's per-send deep copy — and the outgoing sanitizer
still never changes the card that was built."""

from __future__ import annotations

from copy import deepcopy

from botbuilder.core import MessageFactory

from bot.cards.elements import attachment, card, text
from bot.sanitize import sanitize_activity


def test_the_send_copy_shares_the_card_and_sanitizing_the_copy_leaves_the_built_card_alone() -> None:
    built = card([text("[click](https://evil.example/x)", markdown=True)])
    activity = MessageFactory.text("here")
    activity.attachments = [attachment(built)]
    sent = deepcopy(activity)  # what TurnContext.send_activities does to every outgoing activity
    assert sent.attachments[0]["content"] is activity.attachments[0]["content"]
    assert sent.attachments[0] is not activity.attachments[0]

    sanitize_activity(sent)
    assert "evil.example" not in str(sent.attachments[0]["content"])
    assert activity.attachments[0]["content"]["body"][0]["text"] == "[click](https://evil.example/x)"
