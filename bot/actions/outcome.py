"""What a card action produces: a sentence and/or cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.cards.elements import card, text


@dataclass(slots=True)
class CardOutcome:
    text: str | None = None
    cards: list[dict[str, Any]] = field(default_factory=list)  # card content (not attachments)
    attachments: list[dict[str, Any]] = field(default_factory=list)  # whole attachments sent after the cards

    def replacement_card(self) -> dict[str, Any]:
        """For Action.Execute: the card that replaces the pressed one."""
        if self.cards:
            return self.cards[0]
        return card([text(self.text or "Done.")])
