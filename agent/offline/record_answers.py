"""Replies to the recording tools' results (offline planner): say what the card holds; never that it is saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_STATUS = {"absent": "absent", "tardy": "tardy", "excused": "excused", "sat_out": "sat out"}


def attendance_answer(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"I couldn't open the attendance card: {result['error']}"
    counts = result.get("counts") or {}
    marked = ", ".join(f"{counts[s]} {label}" for s, label in _STATUS.items() if counts.get(s))
    text = (f"Here's attendance for **{result.get('class')}** ({result.get('day')}): "
            + (f"{marked}, everyone else present." if marked else "everyone is marked present.")
            + " Change anyone on the card and press **Save** — nothing is recorded until you do.")
    if result.get("not_matched"):
        text += (" I couldn't match " + ", ".join(result["not_matched"])
                 + " to a student in that class: set them on the card.")
    return text


def proposal_answer(kind: str) -> Callable[[dict[str, Any]], str]:
    def answer(result: dict[str, Any]) -> str:
        if "error" in result:
            return f"I couldn't open the {kind} card: {result['error']}"
        text = str(result.get("summary") or f"Here's the {kind} card.")
        if result.get("not_matched"):
            text += " I couldn't match " + ", ".join(result["not_matched"]) + ": set them on the card."
        return text + " Check it and press **Save** — nothing is recorded until you do."
    return answer


RECORD_ANSWERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "take_attendance": attendance_answer,
    "record_fitness": proposal_answer("fitness results"),
    "record_skills": proposal_answer("skill assessment"),
    "check_equipment": proposal_answer("equipment check"),
}
