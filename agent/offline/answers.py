"""Extractive replies composed from tool results (no invented facts: every sentence comes from the data).

A tool's ``message`` is written for the model ("shown to the user", "ask the user..."): it is never shown to the
user; every reply here is composed for the user from the result's data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from agent.offline.lesson_answer import lesson_answer
from agent.offline.record_answers import RECORD_ANSWERS
from domain.messages_home import languages

HELP_TEXT = (
    "I'm **Faraday**, your PE department assistant. Try:\n"
    "- **show me Jamie** — a student's profile from your classes\n"
    "- **Jamie rolled her ankle in basketball, looks minor** — an incident report to check and save\n"
    "- **plan a 45 minute volleyball lesson for grade 7**\n"
    "- **who's been missing class in period 3?** — attendance and other class widgets\n"
    "- **schedule a parent meeting next Tuesday at 3:30pm**\n"
    "- **what's our lightning protocol?** — answers from the district's documents, with sources\n"
    "- **forms** — incident report, lesson request and event forms"
)
GREETING_TEXT = "Hi! What can I help you with?"  # short: the prompt starters introduce Faraday (no welcome)
THANKS_TEXT = "You're welcome!"
UNKNOWN_TEXT = "Sorry, I can't do that yet. Type **help** to see what I can do, or **forms** for the forms."
OUT_OF_SCOPE_TEXT = "That's outside what I can help with: I'm here for PE, school safety and your classes."


def _grade(grade: int) -> str:
    return "K" if grade == 0 else str(grade)


def lookup_answer(result: dict[str, Any]) -> str:
    status = result.get("status")
    if "error" in result:
        return f"I couldn't look that up: {result['error']}"
    if status == "not_found":
        return f"I couldn't find a student called **{result.get('query', '')}** in your classes."
    if status == "ambiguous":
        names = [f"{c['name']} (grade {_grade(c['grade'])}, {', '.join(c['classes']) or 'no shared class'})"
                 for c in result.get("candidates", [])]
        return (f"{len(names)} students match **{result.get('query', '')}**: " + "; ".join(names)
                + ". Which one do you mean?")
    student = result.get("student", {})
    text = f"Here is **{student.get('name')}**, grade {_grade(student.get('grade', 0))}"
    if student.get("classes"):
        text += f" ({', '.join(student['classes'])})"
    text += "."
    if "medical_flags" in student:
        flags = student["medical_flags"]
        text += " Medical flags: " + ("; ".join(flags) if flags else "none recorded") + "."
    if "emergency_contact" in student:
        c = student["emergency_contact"]
        text += f" Emergency contact: {c['name']} ({c['relationship']}), {c['phone'] or 'no phone on file'}."
    return text


def incident_answer(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"I couldn't prepare that report: {result['error']}"
    status = result.get("status")
    if status == "ambiguous":
        return "Several students match: " + "; ".join(result.get("candidates", [])) + ". Which one do you mean?"
    if status == "proposed":
        return (f"Here's an incident report for **{result['student']}**. Check it, set anything missing, and press "
                "**Save** — nothing is recorded until you do.")
    if status == "not_found":
        asked = result.get("query", "")
        return f"I couldn't find a student called **{asked}** in your classes.".replace("** **", "that")
    return UNKNOWN_TEXT


def event_answer(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"I couldn't set up that event: {result['error']}"
    if result.get("status") != "proposed":
        return UNKNOWN_TEXT
    text = f"Here's the event for {result.get('start')}, {result.get('duration_minutes')} minutes."
    conflicts = [f"{c['title']} ({c['start']} – {c['end']})" for c in result.get("conflicts") or []]
    if conflicts:
        text += " It overlaps " + "; ".join(conflicts) + "."
    return text + " Check it and press **Save** — nothing is added to your calendar until you do."


def calendar_answer(result: dict[str, Any]) -> str:
    if "error" in result:
        return str(result["error"])
    when = {"today": "today", "tomorrow": "tomorrow"}.get(str(result.get("span")), "this week")
    if result.get("span") == "day" and result.get("day"):
        named = date.fromisoformat(str(result["day"]))
        when = f"on {named:%A, %b} {named.day}"
    events = result.get("events") or []
    if not events:
        return f"Nothing on your calendar {when}."
    lines = [f"- {e['start']}–{e['end']} {e['title']}" + (f" ({e['location']})" if e.get("location") else "")
             for e in events]
    return f"On your calendar {when}:\n" + "\n".join(lines)


def form_answer(result: dict[str, Any]) -> str:
    if "error" in result:
        return str(result["error"])
    form = result.get("form", "forms")
    return "Here are the forms." if form == "forms" else f"Here's the {form} form."


def generic_answer(result: dict[str, Any]) -> str:
    """For tools without a dedicated composer: the tool's summary for the user, or its error."""
    if "error" in result:
        return f"Sorry, that didn't work: {result['error']}"
    return str(result.get("summary") or "Here it is — see the card.")


def knowledge_answer(result: dict[str, Any]) -> str:
    """Extractive. A situation: the steps as numbered in the document, when to call 911, whom to notify, each cited,
    background as "See also". A question: the most relevant sentences of the best passage. Nothing found: say plainly
    that the district's documents don't cover it, naming a close document only as related."""
    if "error" in result:
        return f"I couldn't search the district documents: {result['error']}"
    if result.get("status") != "found":
        topic = result.get("topic")
        text = (f"The district's documents don't cover {topic}." if topic
                else "The district's documents don't cover that.")
        if result.get("related"):
            text += f" Related: {result['related']}."
        return text + " I won't guess: please ask the school nurse or an administrator."
    passages = result.get("passages") or []
    if any("role" in p for p in passages):
        return _action_answer(passages, result.get("see_also") or [])
    if not passages:
        return ("The district's documents don't cover that. "
                "I won't guess: please ask the school nurse or an administrator.")
    best = passages[0]
    sentences = _key_sentences(best.get("text", ""), result.get("query", ""))
    text = f"From **{_source(best)}** {best['cite']}: {sentences}"
    others = [f"{_source(p)} {p['cite']}" for p in passages[1:3]]
    if others:
        text += "\n\nSee also: " + "; ".join(others) + "."
    return text


def _source(passage: dict[str, Any]) -> str:
    """"Title, §Section, p. 4" as the tool gave it (title — section for results without one)."""
    return str(passage.get("source") or f"{passage['title']} — {passage['section']}")

def _action_answer(passages: list[dict[str, Any]], see_also: list[dict[str, Any]]) -> str:
    parts = []
    for i, step in enumerate(p for p in passages if p.get("role") == "steps"):
        head = f"**{step['title']}**\n" if i == 0 else ""
        parts.append(f"{head}**{step['section']}** {step['cite']}\n{step['text'].strip()}")
    for c in (p for p in passages if p.get("role") == "call_911"):
        parts.append(f"**{c['section']}** {c['cite']}: {_one_paragraph(c['text'])}")
    for n in (p for p in passages if p.get("role") == "notify"):
        parts.append(f"**{n['section']}** {n['cite']}: {_first_sentences(n['text'], 2)}")
    if see_also:
        parts.append("See also: " + "; ".join(f"{s['title']} — {s['section']} {s['cite']}" for s in see_also) + ".")
    return "\n\n".join(parts)


def _one_paragraph(text: str) -> str:
    return " ".join(text.split())


def _first_sentences(text: str, n: int) -> str:
    flat = " ".join(re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line) for line in text.splitlines())
    sentences = re.split(r"(?<=[.!?])\s+", flat.strip())
    return " ".join(sentences[:n])


def _key_sentences(text: str, query: str, limit: int = 3) -> str:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.strip()) > 20]
    if not sentences:
        return text[:400]
    words = {w for w in re.findall(r"[a-z]{4,}", query.lower())}
    ranked = sorted(range(len(sentences)),
                    key=lambda i: -len(words & set(re.findall(r"[a-z]{4,}", sentences[i].lower()))))
    chosen = sorted(ranked[:limit])
    return " ".join(sentences[i].lstrip("-*0123456789. ") for i in chosen)


def widget_answer(result: dict[str, Any]) -> str:
    """The widget's own one-sentence summary, built only from its headline figures."""
    if "error" in result:
        return f"I couldn't run that: {result['error']}"
    return str(result.get("summary") or "Here it is.")


def message_home_answer(result: dict[str, Any]) -> str:
    """A drafted message: who it is for and that nothing is sent until Send; otherwise the tool's own sentence."""
    if "error" in result:
        return f"I couldn't draft that message: {result['error']}"
    status = result.get("status")
    if status == "not_found":
        return f"I couldn't find a student called {result.get('query')} in your classes, so nothing was drafted."
    if status == "ambiguous":
        names = ", ".join(str(c) for c in result.get("candidates") or [])
        return f"Which student do you mean{f': {names}' if names else ''}? Nothing was drafted yet."
    if status != "drafted":
        return "I couldn't draft that message."
    count = int(result.get("recipients") or 0)
    spoken = ", ".join(languages.name(code) for code in result.get("languages") or [])
    return (f"Here is the draft for {count} guardian{'s' if count != 1 else ''} of {result.get('about')}"
            f"{f' ({spoken})' if spoken else ''}. Check it on the card: nothing is sent until you press Send.")


BY_TOOL: dict[str, Callable[[dict[str, Any]], str]] = {
    "plan_lesson": lesson_answer,
    "run_widget": widget_answer,
    "search_knowledge": knowledge_answer,
    "lookup_student": lookup_answer,
    "log_incident": incident_answer,
    "open_form": form_answer,
    "schedule_event": event_answer,
    "message_home": message_home_answer,
    "read_calendar": calendar_answer,
    **RECORD_ANSWERS,
}
