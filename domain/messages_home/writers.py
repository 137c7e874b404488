"""Who writes a message's texts: the fixed templates (offline), or the model (drafting and translation), which falls
back to the templates, with a note, when it fails or its draft fails the checks.

The model gets the ``Facts`` only: the student's first name, the teacher, the school, the class and the record's
details. No guardian name, address or e-mail: the greeting is a ``{guardian}`` placeholder filled at sending time."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Protocol

import openai
from pydantic import BaseModel, Field, ValidationError

from domain.messages_home import languages
from domain.messages_home.texts import GUARDIAN, Facts, MessageText, has_template, render, result_line

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Written:
    texts: dict[str, MessageText]  # language → text; the school's language first
    writer: str  # template | openai
    notes: list[str] = field(default_factory=list)


class MessageWriter(Protocol):
    name: str

    async def write(self, facts: Facts, school_language: str, targets: list[str]) -> Written: ...


class TemplateWriter:
    """The fixed templates: English and Spanish. Any other language gets the school's text, marked untranslated."""

    name = "template"

    async def write(self, facts: Facts, school_language: str, targets: list[str]) -> Written:
        if not has_template(facts, school_language):
            raise LookupError(f"no template for {facts.kind} in {school_language}")
        school = render(facts, school_language)
        texts = {school_language: school}
        missing = []
        for language in targets:
            if language == school_language:
                continue
            if has_template(facts, language):
                texts[language] = render(facts, language)
            else:
                texts[language] = MessageText(language, school.subject, school.body, school.health, translated=False)
                missing.append(languages.name(language))
        notes = [f"Translation into {', '.join(missing)} needs the AI model, which isn't configured here: "
                 f"{'those families' if len(missing) > 1 else 'that family'} would get the "
                 f"{languages.name(school_language)} text."] if missing else []
        return Written(texts, self.name, notes)


class _Text(BaseModel):
    language: str = Field(description="BCP 47 code, exactly as requested")
    subject: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    health: str = Field(max_length=2000)


class _Draft(BaseModel):
    texts: list[_Text]


SYSTEM = """You write short, warm, plain messages from a school PE teacher to a student's parent or guardian.
Write from the facts given only; never invent events, diagnoses or promises. No medical advice.
Return one text per requested language, the first in the school's language, the others faithful translations of it.
In each body: start with a greeting containing the literal marker {guardian} (the guardian's name is put there later),
and put the literal marker {health} on its own line where the health details paragraph goes. Sign off with the
teacher's name and the school. "health" is that paragraph alone (what happened, what was done, or the fitness
results); write it only from the health facts given, and leave it empty when there are none. Fitness results are
compared with the Healthy Fitness Zone, never with classmates."""


class OpenAIMessageWriter:
    name = "openai"

    def __init__(self, *, api_key: str, model: str, base_url: str | None = None, timeout_s: float = 10.0,
                 max_retries: int = 1, fallback: MessageWriter | None = None) -> None:
        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url or None, timeout=timeout_s,
                                          max_retries=max_retries)
        self._model = model
        self._fallback: MessageWriter = fallback or TemplateWriter()

    async def write(self, facts: Facts, school_language: str, targets: list[str]) -> Written:
        wanted = [school_language, *[t for t in targets if t != school_language]]
        try:
            draft = await self._complete(facts, wanted)
            return Written(_checked(draft, facts, wanted), self.name)
        except (openai.OpenAIError, ValidationError, ValueError) as exc:
            log.warning("message writer failed", extra={"error": type(exc).__name__, "languages": len(wanted)})
            written = await self._fallback.write(facts, school_language, targets)
            note = "The AI draft was not used (the model was unavailable or its draft failed the checks); this is " \
                   "the school's fixed template."
            return Written(written.texts, written.writer, [note, *written.notes])

    async def _complete(self, facts: Facts, wanted: list[str]) -> _Draft:
        completion = await self._client.chat.completions.parse(
            model=self._model,
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt(facts, wanted)}],
            response_format=_Draft,
            temperature=0.3,
        )
        message = completion.choices[0].message if completion.choices else None
        if message is None or message.parsed is None:
            raise ValueError("no draft in the reply")
        return message.parsed

    async def close(self) -> None:
        await self._client.close()


def prompt(facts: Facts, wanted: list[str]) -> str:
    """The facts as JSON (no guardian data). Health facts are labelled, so the model keeps them in "health"."""
    record: dict[str, object] = {"kind": facts.kind, "student_first_name": facts.student, "teacher": facts.teacher,
                                 "school": facts.school, "class": facts.class_name, "date": facts.day.isoformat()}
    if facts.kind == "attendance":
        record.update(absences=facts.absences, late_arrivals=facts.tardies, lessons_recorded=facts.sessions,
                      since=(facts.since or facts.day).isoformat())
    if facts.kind == "class_notice":
        record["notice"] = facts.topic
    health: dict[str, object] = {}
    if facts.kind == "incident":
        health = {"what_happened": facts.details, "action_taken": facts.action_taken or None}
    if facts.kind == "fitness":
        health = {"results": [result_line(r, "en") for r in facts.results]}
    body = {"languages": wanted, "facts": record, "health_facts": health or None}
    return "Write the message.\n" + json.dumps(body, ensure_ascii=False, indent=1)


def _checked(draft: _Draft, facts: Facts, wanted: list[str]) -> dict[str, MessageText]:
    by_language = {languages.normalize(t.language) or t.language: t for t in draft.texts}
    texts: dict[str, MessageText] = {}
    for language in wanted:
        text = by_language.get(language) or by_language.get(languages.base(language))
        if text is None:
            raise ValueError(f"no text in {language}")
        if GUARDIAN not in text.body:
            raise ValueError("the body has no {guardian} greeting")
        health = text.health.strip() if facts.has_health else ""
        if health and "{health}" not in text.body:
            raise ValueError("the body has no {health} marker")
        texts[language] = MessageText(language, text.subject.strip(), text.body, health)
    return texts
