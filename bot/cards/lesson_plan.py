"""The lesson plan card: sections with minutes, objectives, equipment, safety, adaptations, exit ticket and sources,
with Save / Regenerate / Adjust duration (or read-only once saved).

Every button's data carries what its action needs (the plan travels with Save and Adjust, so what is saved is exactly
what was shown); the actions re-validate it, as it comes back from the client untrusted.
"""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, escape, grade_label, heading, text
from bot.cards.inputs import execute
from domain.lessons import LABELS, MAX_MINUTES, MIN_MINUTES, NOTES, TIMED, LessonPlanDraft, LessonPlanResult

SAVE = "lesson.save"
REGENERATE = "lesson.regenerate"
ADJUST = "lesson.adjust"
DURATION_INPUT = "new_duration"


def lesson_plan_card(result: LessonPlanResult) -> dict[str, Any]:
    plan = result.plan
    body: list[dict[str, Any]] = [heading(plan.title), text(_subtitle(result), subtle=True)]
    for note in plan.notes:
        body.append({"type": "TextBlock", "text": escape(note), "wrap": True, "color": "Warning", "size": "Small"})
    body.append(_block(LABELS["objectives"], [o.text + _cites(o.cites) for o in plan.objectives]))
    for name in TIMED:
        section = getattr(plan, name)
        body.append(_block(f"{LABELS[name]} — {section.minutes} min", section.activities, section.cites))
    for name in NOTES:
        notes = getattr(plan, name)
        body.append(_block(LABELS[name], notes.items, notes.cites))
    if plan.available_equipment:
        body.append(text("Equipment you have: " + ", ".join(plan.available_equipment), subtle=True))
    body.append(_sources(plan))
    if result.saved_id is not None:
        body.append(text(f"Saved as lesson plan #{result.saved_id}.", subtle=True))
    else:
        body.append(text("Not saved yet: press Save to keep this plan.", subtle=True))
    body += _duration_input(plan.duration_minutes, result.error)
    return card(body, _actions(result))


def lesson_saved_card(result: LessonPlanResult, *, created: bool) -> dict[str, Any]:
    """The read-only plan that replaces the card once saved (no Save button; Regenerate/Adjust start a new plan)."""
    content = lesson_plan_card(result)
    sentence = (f"Lesson plan #{result.saved_id} saved." if created
                else f"Lesson plan #{result.saved_id} was already saved; nothing new was written.")
    content["body"].insert(1, {"type": "TextBlock", "text": escape(sentence), "wrap": True, "color": "Good",
                               "weight": "Bolder"})
    return content


def _subtitle(result: LessonPlanResult) -> str:
    plan = result.plan
    parts = [f"Grade {grade_label(plan.grade)}", f"{plan.duration_minutes} minutes", f"Unit: {plan.unit}"]
    if plan.class_size:
        parts.append(f"{plan.class_size} students")
    if plan.focus:
        parts.append(f"Focus: {plan.focus}")
    if result.writer == "openai":
        parts.append("AI-written from the curriculum, checked")
    return " · ".join(parts)


def _cites(labels: list[int]) -> str:
    return " " + "".join(f"[{n}]" for n in labels) if labels else ""


def _block(title: str, items: list[str], cites: list[int] | None = None) -> dict[str, Any]:
    rows = [{"type": "TextBlock", "text": escape(title) + escape(_cites(cites or [])), "weight": "Bolder",
             "wrap": True}]
    rows += [{"type": "TextBlock", "text": "• " + escape(i), "wrap": True, "spacing": "None"} for i in items]
    return {"type": "Container", "items": rows, "spacing": "Medium"}


def _sources(plan: LessonPlanDraft) -> dict[str, Any]:
    lines = [f"[{s.label}] {s.title} — {s.section}" for s in plan.citations]
    return {"type": "Container", "spacing": "Medium", "items": [
        {"type": "TextBlock", "text": "Sources", "weight": "Bolder", "wrap": True},
        *({"type": "TextBlock", "text": escape(line), "wrap": True, "spacing": "None", "size": "Small"}
          for line in lines)]}


def _duration_input(current: int, error: str | None) -> list[dict[str, Any]]:
    element = {"type": "Input.Number", "id": DURATION_INPUT, "label": "Adjust duration (minutes)", "min": MIN_MINUTES,
               "max": MAX_MINUTES, "value": current, "errorMessage": f"From {MIN_MINUTES} to {MAX_MINUTES} minutes."}
    if not error:
        return [element]
    return [element, {"type": "TextBlock", "text": escape(error), "color": "Attention", "size": "Small", "wrap": True,
                      "spacing": "None"}]


def _actions(result: LessonPlanResult) -> list[dict[str, Any]]:
    plan_data = result.plan.model_dump(mode="json")
    request = result.request.model_dump(mode="json")
    actions = []
    if result.saved_id is None:
        actions.append(execute("Save", SAVE,
                               {"form_key": result.key, "plan": plan_data, "class_id": request["class_id"]},
                                style="positive", inputs="none"))
    actions.append(execute("Regenerate", REGENERATE, {"request": request}, inputs="none"))
    actions.append(execute("Adjust duration", ADJUST, {"plan": plan_data, "request": request}, inputs="auto"))
    return actions
