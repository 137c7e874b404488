"""Turn the typed objects tools return (``ToolResult.display``) into card attachments."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import attachment
from bot.cards.student_choice import student_choice_card
from bot.cards.student_profile import student_profile_card
from domain.students import StudentLookup, StudentProfile


def render(item: Any) -> dict[str, Any] | None:
    if isinstance(item, StudentProfile):
        return attachment(student_profile_card(item))
    if isinstance(item, StudentLookup) and item.status == "ambiguous":
        return attachment(student_choice_card(item))
    return None
