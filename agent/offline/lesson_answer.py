"""The offline planner's reply to a plan_lesson result: extractive (everything comes from the tool's summary)."""

from __future__ import annotations

from typing import Any


def lesson_answer(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"I couldn't plan that lesson: {result['error']}"
    if result.get("status") == "no_unit":
        return str(result.get("message") or "The district curriculum has no unit on that, so I won't make up a plan.")
    if result.get("status") != "proposed":
        return "Here it is — see the card."  # never the tool's message: that is written for the model
    grade = result.get("grade")
    sections = "; ".join(f"{s['name'].lower()} {s['minutes']} min {s.get('cite', '')}".strip()
                         for s in result.get("sections", []))
    text = (f"Here's a {result.get('duration_minutes')}-minute grade {grade} plan from "
            f"*{result.get('unit', 'the district curriculum')}*: {sections}. "
            f"Objectives come from the unit's grade-level outcomes {result.get('objectives_cite', '')}.".replace(
                " .", "."))
    notes = [str(n) for n in result.get("notes") or []]
    if notes:
        text += " " + " ".join(notes)
    return text + " Nothing is saved until you press **Save** on the card."
