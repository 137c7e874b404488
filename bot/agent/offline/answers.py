"""Extractive replies composed from tool results (no invented facts: every sentence comes from the data)."""

from __future__ import annotations

from typing import Any

HELP_TEXT = (
    "I'm **Faraday**, your PE department assistant. Try:\n"
    "- **show me Jamie** — a student's profile from your classes\n"
    "- **help** — this list\n"
    "More is coming: incident reports, lesson plans, class widgets, events and safety protocols."
)
GREETING_TEXT = "Hi! I'm Faraday. Ask me about a student in your classes, for example **show me Jamie**."
THANKS_TEXT = "You're welcome!"
UNKNOWN_TEXT = (
    "Sorry, I can't do that yet. I can look up students in your classes (try **show me Jamie**); "
    "type **help** for the list."
)


def lookup_answer(result: dict[str, Any]) -> str:
    status = result.get("status")
    if "error" in result:
        return f"I couldn't look that up: {result['error']}"
    if status == "not_found":
        return f"I couldn't find a student called **{result.get('query', '')}** in your classes."
    if status == "ambiguous":
        names = [f"{c['name']} (grade {_grade(c['grade'])}, {', '.join(c['classes']) or 'no shared class'})"
                 for c in result.get("candidates", [])]
        return f"{len(names)} students match **{result.get('query', '')}**: " + "; ".join(names) + ". Which one do you mean?"
    student = result.get("student", {})
    parts = [f"Here is **{student.get('name')}**, grade {_grade(student.get('grade', 0))}"]
    if student.get("classes"):
        parts.append(f" ({', '.join(student['classes'])})")
    text = "".join(parts) + "."
    if "medical_flags" in student:
        flags = student["medical_flags"]
        text += " Medical flags: " + ("; ".join(flags) if flags else "none recorded") + "."
    if "emergency_contact" in student:
        c = student["emergency_contact"]
        text += f" Emergency contact: {c['name']} ({c['relationship']}), {c['phone'] or 'no phone on file'}."
    return text


def _grade(grade: int) -> str:
    return "K" if grade == 0 else str(grade)
