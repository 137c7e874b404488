"""The pre-class safety brief card (a teacher's 1:1 chat only): who has a medical flag, open incidents and
return-to-play restrictions, equipment not fit for the unit, and the one protocol to have ready with its citation."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, facts, heading, section, text
from domain.briefs.types import Brief

TIME = "%H:%M"


def brief_card(brief: Brief) -> dict[str, Any]:
    when = brief.starts_at.strftime(TIME)
    body: list[dict[str, Any]] = [heading(f"Before {brief.class_name} at {when}")]
    pairs = [("Where", brief.location), ("Unit", brief.unit or "—"), ("Students", str(brief.students))]
    if brief.temperature_f is not None:
        pairs.append(("Temperature", f"{brief.temperature_f:.0f}°F"))
    body.append(facts(pairs))
    if brief.flagged:
        body.append(section("Medical flags", [f"{s.name}: {'; '.join(s.flags)}" for s in brief.flagged],
                            style="warning"))
    elif not brief.other_flags:
        body.append(text("No medical flags in this class.", subtle=True))
    if brief.other_flags:
        count = "1 other medical flag" if brief.other_flags == 1 else f"{brief.other_flags} other medical flags"
        body.append(text(f"{count} in this class {'is' if brief.other_flags == 1 else 'are'} not relevant to "
                         f"{brief.unit or 'this unit'} (the safety risks widget lists every flag).", subtle=True))
    restricted = [i for i in brief.incidents if i.restriction]
    if restricted:
        body.append(section("Not cleared to play", [f"{i.student}: {i.restriction} — {i.incident_type} on "
                                                    f"{i.day:%b %d}" for i in restricted], style="attention"))
    others = [i for i in brief.incidents if not i.restriction]
    if others:
        body.append(section("Open incidents", [f"{i.student}: {i.incident_type}, {i.severity} "
                                               f"({i.status.replace('_', ' ')}) — {i.day:%b %d}" for i in others]))
    if brief.equipment:
        body.append(section("Equipment not ready", [f"{g.name}: {'; '.join(g.issues)}" for g in brief.equipment],
                            style="attention"))
    protocol = brief.protocol
    items = [f"Why: {protocol.reason}."]
    if protocol.first_lines:
        items.append(protocol.first_lines)
    body.append(section(f"Have ready: {protocol.title}", items, style="emphasis"))
    body.append(text(f"Source: {protocol.citation}", subtle=True))
    body.append(text("Type **briefs off** to stop these briefs, **temperature 94** to enter today's temperature.",
                     subtle=True, markdown=True))
    return card(body)


def summary(brief: Brief) -> str:
    """The notification preview line (no student names)."""
    return f"Safety brief: {brief.class_name} at {brief.starts_at.strftime(TIME)}"
