"""Turn the typed objects tools return (``ToolResult.display``) into card attachments."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import attachment
from bot.cards.student_choice import student_choice_card
from bot.cards.student_profile import student_profile_card
from bot.cards.incident_form import IncidentFormState, incident_form_card
from domain.incidents import IncidentProposal
from domain.students import StudentLookup, StudentProfile


def render_content(item: Any, roster: list[tuple[int, str, int]] | None = None) -> dict[str, Any] | None:
    """The card for one typed tool result, or None when it has no card."""
    if isinstance(item, StudentProfile):
        return student_profile_card(item)
    if isinstance(item, StudentLookup) and item.status == "ambiguous":
        return student_choice_card(item)
    if isinstance(item, IncidentProposal):
        return incident_form_card(IncidentFormState.from_proposal(item, roster or []))
    return None


def render(item: Any, roster: list[tuple[int, str, int]] | None = None) -> dict[str, Any] | None:
    content = render_content(item, roster)
    return attachment(content) if content is not None else None
