"""The deterministic (offline) lesson writer: a plan assembled from the unit's own sentences.

``assemble`` takes sentences from the right sections (outcomes → objectives, warm-up ideas → warm-up, cues and
progressions → skill development, games → application, ...), allocates minutes by fixed proportions that always sum
to the duration, and cites every section's chunk. ``variation`` (the Regenerate counter) rotates the choices, so the
same request and variation always give the same plan.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from domain.lessons import LessonPlanDraft, LessonRequest, Source, allocate, validate_plan
from knowledge.lesson_material import CLOSE, ROLES, SourceSection, UnitMaterial, role_of, words_of

WEIGHTS = {"warm_up": 0.15, "skill_development": 0.35, "game_or_application": 0.35, "cool_down": 0.15}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")


@dataclass(frozen=True, slots=True)
class Written:
    plan: LessonPlanDraft
    writer: str  # "offline" | "openai"
    notes: list[str] = field(default_factory=list)


class LessonWriter(Protocol):
    name: str

    async def write(self, request: LessonRequest, material: UnitMaterial) -> Written: ...


class _Material:
    """Items by role, each remembering the chunk it came from; sources numbered in order of first use."""

    LISTS = ("outcomes", "warm_up", "games", "cues", "sequence")  # bullet lists where a section has them

    def __init__(self, unit: UnitMaterial) -> None:
        self.by_role: dict[str, list[tuple[str, SourceSection]]] = {}
        self.everything = [(t, s) for s in unit.sections for t in itertools.chain.from_iterable(items_of(s.text))]
        for role, keys in ROLES.items():
            ranked = [(min(i for i, k in enumerate(keys) if k in s.section.lower()), s) for s in unit.sections
                      if any(k in s.section.lower() for k in keys)]
            best = min((rank for rank, _ in ranked), default=None)
            for rank, s in ranked:
                if rank == best:
                    self.by_role.setdefault(role, []).extend(self._items(role, s))
        self.extras = [(t, s) for s in unit.extras for t in itertools.chain.from_iterable(items_of(s.text))]
        for s in unit.extras:
            extra_role = role_of(s.section)
            if extra_role is not None and extra_role not in self.by_role:
                self.by_role[extra_role] = self._items(extra_role, s)
        self.sources: list[Source] = []

    def _items(self, role: str, section: SourceSection) -> list[tuple[str, SourceSection]]:
        bullets, sentences = items_of(section.text)
        return [(t, section) for t in ((bullets or sentences) if role in self.LISTS else sentences + bullets)]

    def cite(self, section: SourceSection) -> int:
        for source in self.sources:
            if source.chunk_id == section.chunk_id:
                return source.label
        label = len(self.sources) + 1
        self.sources.append(Source(label=label, chunk_id=section.chunk_id, title=section.title,
                                   section=section.section, snippet=section.snippet[:400]))
        return label

    def pick(self, roles: tuple[str, ...], count: int, wanted: set[str], variation: int,
             keep: Callable[[str], bool] | None = None) -> tuple[list[str], list[int]]:
        """Up to ``count`` items from the first role that has any: best topic matches first, rotated by variation."""
        pool: list[tuple[str, SourceSection]] = []
        for role in roles:
            pool = [p for p in self.by_role.get(role, []) if keep is None or keep(p[0])]
            if pool:
                break
        if not pool:
            return [], []
        ranked = sorted(range(len(pool)), key=lambda i: (-len(wanted & words_of(pool[i][0])), i))
        shift = variation % len(ranked)
        chosen = [pool[i] for i in (ranked[shift:] + ranked[:shift])[:count]]
        return [t for t, _ in chosen], sorted({self.cite(s) for _, s in chosen})


def items_of(body: str) -> tuple[list[str], list[str]]:
    """(bullets and numbered lines, prose sentences), markdown emphasis removed, lead-ins ending in ':' dropped."""
    bullets: list[str] = []
    sentences: list[str] = []
    for line in body.splitlines():
        line = re.sub(r"\*\*(.+?)\*\*", r"\1", line.strip())
        bullet = re.match(r"^(?:[-*]|\d+\.)\s+(.*)$", line)
        if bullet:
            bullets.append(bullet.group(1))
        elif line:
            sentences += [t.strip() for t in _SENTENCE.split(line) if t.strip() and not t.strip().endswith(":")]
    return bullets, sentences


# A band unit's outcomes are often listed per grade ("Kindergarten: …", "Grade 2: …", "Grades 6-8: …").
_GRADE_LABEL = re.compile(r"^(?:(kindergarten|k)|grades?\s+(\d{1,2})(?:\s*[-–]\s*(\d{1,2}))?)\s*:\s*", re.IGNORECASE)


def for_grade(item: str, grade: int) -> bool:
    """Whether an outcome applies to ``grade``: unlabelled ones do; labelled ones only for their own grade(s)."""
    match = _GRADE_LABEL.match(item)
    if match is None:
        return True
    low = 0 if match.group(1) else int(match.group(2))
    high = 0 if match.group(1) else int(match.group(3) or low)
    return low <= grade <= high


def _plain(item: str) -> bool:
    return not item.endswith(":") and not item.lower().startswith("equipment") and not CLOSE.search(item)


def assemble(request: LessonRequest, unit: UnitMaterial) -> LessonPlanDraft:
    m = _Material(unit)
    wanted = words_of(request.topic) | words_of(request.focus or "")
    v = request.variation
    objectives, ocites = m.pick(("outcomes",), 3, wanted, 0,
                                keep=lambda t: _plain(t) and for_grade(t, request.grade))
    focus, fcites = m.pick(("sequence",), 1, wanted, v, keep=lambda t: len(t) < 200 and _plain(t))
    skill_words = wanted | words_of(" ".join(focus))
    cues, ccites = m.pick(("cues",), 2, skill_words, v, keep=_plain)
    progression, pcites = m.pick(("progressions",), 1, skill_words, v, keep=_plain)
    warm, wcites = m.pick(("warm_up", "cues"), 2, wanted, v, keep=_plain)
    games, gcites = m.pick(("games", "progressions", "sequence"), 2, wanted, v, keep=_plain)
    ticket, tcites = m.pick(("assessment",), 1, {"exit", "ticket"}, 0, keep=lambda t: "exit ticket" in t.lower())
    assess, acites = m.pick(("assessment",), 1, wanted, v,
                            keep=lambda t: "exit ticket" not in t.lower() and _plain(t))
    closing = _closing(m)
    safety, scites = m.pick(("safety",), 3, wanted, 0, keep=_plain)
    adapt, dcites = m.pick(("adaptations",), 3, wanted, v, keep=lambda t: _plain(t) and t not in safety)
    equipment, qcites = _equipment(m)
    minutes = allocate(request.duration_minutes, list(WEIGHTS.values()))
    tickets = [f"Exit ticket: {_ticket(t)}" for t in ticket]
    topic = request.topic.strip()
    data = {
        "title": f"{_grade(request.grade)} {topic[:1].upper() + topic[1:]}: {request.duration_minutes}-minute lesson",
        "objectives": [{"text": f"Students will work toward: {_GRADE_LABEL.sub('', t)}", "cites": ocites}
                       for t in objectives],
        "warm_up": {"minutes": minutes[0], "activities": warm, "cites": wcites},
        "skill_development": {"minutes": minutes[1], "activities": [f"Lesson focus: {t}" for t in focus] + cues
                              + progression, "cites": sorted({*fcites, *ccites, *pcites})},
        "game_or_application": {"minutes": minutes[2], "activities": games, "cites": gcites},
        "cool_down": {"minutes": minutes[3], "activities": [f"Closing: {t}" for t, _ in closing] + tickets,
                      "cites": sorted({*tcites, *(m.cite(s) for _, s in closing)})},
        "equipment": {"items": equipment, "cites": qcites},
        "safety_notes": {"items": safety, "cites": scites},
        "adaptations": {"items": adapt, "cites": dcites},
        "assessment": {"items": tickets + assess, "cites": sorted({*tcites, *acites})},
        "grade": request.grade, "topic": topic, "duration_minutes": request.duration_minutes,
        "unit": unit.title, "citations": [s.model_dump() for s in m.sources], "focus": request.focus,
        "class_size": request.class_size, "available_equipment": request.equipment, "variation": v,
    }
    return validate_plan(data)


def _closing(m: _Material) -> list[tuple[str, SourceSection]]:
    """The unit's own cool-down if it has one, else a reflection routine retrieved from the curriculum."""
    own = [p for p in m.everything if re.search(r"(?i)cool[- ]?down", p[0])]
    return own[:1] or [p for p in m.extras if CLOSE.search(p[0])][:1]


def _ticket(item: str) -> str:
    return re.split(r"(?i)exit tickets?\b[^:\"“]*?(?:include|:)\s*", item, maxsplit=1)[-1].strip()


def _equipment(m: _Material) -> tuple[list[str], list[int]]:
    """The unit's equipment list ("Equipment: a, b and c." or an Equipment List section), split into items."""
    for item, section in m.by_role.get("equipment", []):
        listed = re.match(r"(?i)^equipment:\s*(.+)$", item)
        if listed is None and section.section.lower().startswith("equipment") and "," in item:
            listed = re.match(r"^(.+)$", item)
        if listed:
            parts = re.split(r",\s*(?:and\s+)?", listed.group(1).rstrip("."))
            parts[-1:] = parts[-1].split(" and ", 1) if len(parts) > 1 else parts[-1:]
            return [p.strip() for p in parts if p.strip()][:12], [m.cite(section)]
    fallback = next(iter(m.by_role.get("games") or m.by_role.get("sequence") or []), None)
    if fallback is None:
        return [], []
    return ["No special equipment is listed for this unit; use what the activities above need."], [m.cite(fallback[1])]


def _grade(grade: int) -> str:
    return "Kindergarten" if grade == 0 else f"Grade {grade}"


class OfflineLessonWriter:
    """Deterministic: the same request and unit always give the same plan."""

    name = "offline"

    async def write(self, request: LessonRequest, material: UnitMaterial) -> Written:
        notes = [] if material.in_band else [
            f"No grade {request.grade if request.grade else 'K'} unit covers this topic, so this plan adapts "
            f"“{material.title}” (grades {material.grade_band}); adjust the challenge for your students."]
        return Written(assemble(request, material), self.name, notes)

