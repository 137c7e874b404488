"""What a message says: the facts it is drafted from, its texts per language, and the fixed templates
(``data/templates.toml``) that write them without a model — in English and Spanish; any other language needs the
model, and the card says so instead of showing a made-up translation."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from domain.messages_home import languages

TEMPLATES = Path(__file__).with_name("data") / "templates.toml"
KINDS = ("incident", "attendance", "fitness", "class_notice")
GUARDIAN = "{guardian}"  # left in a drafted body; filled per recipient when the message goes out

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
}
_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
ZONES = {"en": {"Healthy Fitness Zone": "Healthy Fitness Zone", "Needs Improvement": "Needs Improvement",
                "no standard": "no standard for this age"},
         "es": {"Healthy Fitness Zone": "Zona de Aptitud Física Saludable", "Needs Improvement": "Necesita mejorar",
                "no standard": "sin criterio para esta edad"}}
TEST_NAMES = {"es": {"PACER (laps)": "PACER (vueltas)", "One-mile run (min:sec)": "Carrera de una milla (min:s)",
                     "Curl-ups": "Abdominales (curl-ups)", "90° push-ups": "Flexiones de brazos a 90°",
                     "Trunk lift (inches)": "Elevación de tronco (pulgadas)",
                     "Back-saver sit-and-reach, left (inches)": "Flexión de tronco sentado, pierna izquierda "
                                                                "(pulgadas)",
                     "Back-saver sit-and-reach, right (inches)": "Flexión de tronco sentado, pierna derecha "
                                                                 "(pulgadas)"}}

UNITS = {"es": {"laps": "vueltas", "reps": "repeticiones", "in": "pulgadas"}}
UNIT_ONE = {"en": {"laps": "lap", "reps": "rep"}, "es": {"laps": "vuelta", "reps": "repetición", "in": "pulgada"}}


@dataclass(frozen=True, slots=True)
class FitnessLine:
    test: str  # the test's label (TESTS[...].label)
    value: str  # "42 laps", "9:45"
    day: date
    zone: str  # IN_ZONE | BELOW | NO_BAND


@dataclass(frozen=True, slots=True)
class Facts:
    """What a message is drafted from: the record, minimised. No guardian data (the greeting is a placeholder)."""

    kind: str  # incident | attendance | fitness | class_notice
    student: str  # first (or preferred) name; for a class notice "{student}", filled per recipient
    teacher: str
    school: str
    class_name: str
    day: date
    topic: str = ""  # class notice: the teacher's words; incident: what the teacher asked about
    template: str = ""  # class notices: kit_reminder when the topic is kit
    absences: int = 0
    tardies: int = 0
    sessions: int = 0
    since: date | None = None
    details: str = ""  # incident: the recorded description (health detail)
    action_taken: str = ""  # incident (health detail)
    results: tuple[FitnessLine, ...] = field(default_factory=tuple)  # fitness (health detail)
    record_id: int | None = None  # the incident a note is about

    @property
    def has_health(self) -> bool:
        return self.kind in ("incident", "fitness")


@dataclass(frozen=True, slots=True)
class MessageText:
    language: str
    subject: str
    body: str  # with {health} where the health paragraph goes (or nowhere), and {guardian}
    health: str = ""
    translated: bool = True  # False: this language needs the model; the school's text is shown and sent instead

    def compose(self, include_health: bool) -> str:
        """The body as sent (the guardian placeholder still in it)."""
        paragraph = f"\n{self.health.strip()}\n" if include_health and self.health.strip() else ""
        return _tidy(self.body.replace("{health}", paragraph))

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "body": self.body, "health": self.health, "translated": self.translated}

    @classmethod
    def from_json(cls, language: str, data: dict[str, Any]) -> MessageText:
        return cls(language, str(data["subject"]), str(data["body"]), str(data.get("health") or ""),
                   bool(data.get("translated", True)))


def _tidy(text: str) -> str:
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"


@cache
def templates() -> dict[str, Any]:
    with TEMPLATES.open("rb") as handle:
        return tomllib.load(handle)


def template_name(facts: Facts) -> str:
    return facts.template or facts.kind


def has_template(facts: Facts, language: str) -> bool:
    return languages.base(language) in templates().get(template_name(facts), {})


def render(facts: Facts, language: str) -> MessageText:
    """The fixed template in this language (``has_template`` must be true)."""
    lang = languages.base(language)
    entry = templates()[template_name(facts)][lang]
    values = _values(facts, lang)
    health = entry.get("health", "").format_map(values) if facts.has_health else ""
    body = entry["body"].format_map({**values, "health": "{health}"})
    return MessageText(language, entry["subject"].format_map(values), body, health)


def _values(facts: Facts, lang: str) -> dict[str, str]:
    return {
        "guardian": GUARDIAN, "student": facts.student, "teacher": facts.teacher, "school": facts.school,
        "class_name": facts.class_name, "day": spoken_date(facts.day, lang), "topic": facts.topic,
        "absences": str(facts.absences), "tardies": str(facts.tardies), "sessions": str(facts.sessions),
        "since": spoken_date(facts.since or facts.day, lang, weekday=False),
        "details": facts.details or "-", "action_taken": facts.action_taken or "-",
        "results": "\n".join(result_line(r, lang) for r in facts.results),
    }


def result_line(line: FitnessLine, lang: str) -> str:
    test = TEST_NAMES.get(lang, {}).get(line.test, line.test).replace(" (laps)", "").replace(" (vueltas)", "")
    zone = ZONES.get(lang, ZONES["en"]).get(line.zone, line.zone)
    number, _, unit = line.value.partition(" ")
    units = UNIT_ONE if number == "1" else UNITS
    value = f"{number} {units.get(lang, {}).get(unit, UNITS.get(lang, {}).get(unit, unit))}".strip()
    return f"- {test}: {value} ({spoken_date(line.day, lang, weekday=False)}): {zone}"


def spoken_date(day: date, lang: str, *, weekday: bool = True) -> str:
    """"Tuesday, November 24" / "martes 24 de noviembre"."""
    lang = lang if lang in _MONTHS else "en"
    month = _MONTHS[lang][day.month - 1]
    if lang == "es":
        return f"{_DAYS['es'][day.weekday()]} {day.day} de {month}" if weekday else f"{day.day} de {month}"
    return f"{_DAYS['en'][day.weekday()]}, {month} {day.day}" if weekday else f"{month} {day.day}"
