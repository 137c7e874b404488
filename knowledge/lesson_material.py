"""Curriculum material for a lesson: the unit that teaches a topic at (or near) a grade, with all its sections.

``find_unit`` ranks curriculum chunks with the hybrid retriever, then accepts a unit only if the topic really is its
subject (a topic word in the unit's title, or at least half of them in its outcomes/overview): a unit that merely
mentions a word elsewhere is not a lesson on it, and no plan is better than an invented one. A unit for the exact
grade wins; otherwise one for grades within two of it (the plan says so). Roles the unit lacks (say, safety notes)
and a closing routine are borrowed from neighbouring units, and cited as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from knowledge.documents import grade_range
from knowledge.retriever import Retriever, snippet

NEAR = 2  # grades either side of the request a unit may come from
CANDIDATES = 4  # documents examined per search
ROLES: dict[str, tuple[str, ...]] = {
    "outcomes": ("outcome",),
    "sequence": ("sequence", "classroom units", "lesson structures", "overview"),
    "cues": ("cue", "concept", "protocol", "rules", "teaching strategies"),
    "progressions": ("progression",),
    "warm_up": ("warm-up", "warm up", "lesson structures", "teaching strategies"),
    "games": ("games", "application", "dances", "extensions", "activities", "behind-the-wheel"),
    "safety": ("safety",),
    "adaptations": ("adaptation", "differentiation"),
    "assessment": ("assessment",),
    "equipment": ("equipment",),
}
GENERIC = {"lesson", "lessons", "plan", "intro", "introduction", "unit", "basic", "basics", "skill", "skills", "pe",
           "class", "game", "games", "activity", "activities", "prep", "practice", "drill", "drills", "training",
           "and", "the", "with", "for", "on", "of", "a", "an", "in", "to", "my", "some", "day", "week"}
SUPPLEMENTS = {"warm_up": "warm-up ideas", "safety": "safety notes", "adaptations": "adaptations and differentiation",
               "assessment": "assessment ideas exit ticket"}
CLOSING_QUERY = "close the lesson with a short reflection circle"
_UNIT_SQL = text(
    "SELECT c.id, c.section, c.content, d.slug, d.title, d.grade_band FROM knowledge_chunks c "
    "JOIN knowledge_documents d ON d.id = c.document_id WHERE d.slug = :slug AND d.approved "
    "AND d.kind = 'curriculum' AND c.embedding_model = :model AND c.embedding_dim = :dim ORDER BY c.ordinal"
)
_UNITS_SQL = text("SELECT title, grade_band FROM knowledge_documents WHERE kind = 'curriculum' AND approved "
                  "ORDER BY title")
CLOSE = re.compile(r"(?i)\bclose\b[^.]*\breflection")


@dataclass(frozen=True, slots=True)
class SourceSection:
    chunk_id: str  # one retrieved curriculum chunk
    title: str  # the document's title
    section: str
    text: str
    snippet: str


@dataclass(frozen=True, slots=True)
class UnitMaterial:
    """The curriculum unit chosen for a request, with its sections in document order and any shared extras."""

    slug: str
    title: str
    grade_band: str
    in_band: bool  # False: the closest unit is for nearby grades (the plan says so)
    sections: list[SourceSection]
    extras: list[SourceSection] = field(default_factory=list)  # e.g. a closing routine from another document


def stem(word: str) -> str:
    w = re.sub(r"[^a-z0-9]", "", word.lower())
    for suffix in ("ing", "ers", "er", "es", "ed", "s", "e"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "ls":
        w = w[:-1]  # hopp → hop, skipp → skip
    return w


def words_of(value: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[A-Za-z][A-Za-z0-9'-]*", value.replace("-", " ")) if w.lower() not in GENERIC}


def relevant(topic_words: set[str], unit: UnitMaterial) -> bool:
    if not topic_words:
        return False
    if topic_words & words_of(unit.title):
        return True
    core = " ".join(s.text for s in unit.sections if role_of(s.section) in ("outcomes", "sequence"))
    return len(topic_words & words_of(core)) * 2 >= len(topic_words)


async def find_unit(retriever: Retriever, grade: int, topic: str) -> UnitMaterial | None:
    """The curriculum unit that teaches ``topic`` at (or near) ``grade``, with all its sections; None if none does."""
    wanted = words_of(topic)
    if not wanted:
        return None
    low, high = max(0, grade - NEAR), min(12, grade + NEAR)
    seen: set[str] = set()
    for band in (str(grade), f"{low}-{high}"):
        found = await retriever.retrieve(topic, kind="curriculum", grade_band=band)
        slugs = list(dict.fromkeys(h.section_id.split("#", 1)[0] for h in found.fused))[:CANDIDATES]
        for slug in slugs:
            if slug in seen:
                continue
            seen.add(slug)
            unit = await load_unit(retriever, slug, grade)
            if unit is not None and _teachable(unit) and relevant(wanted, unit):
                return await _with_extras(retriever, unit, grade, topic)
    return None


async def load_unit(retriever: Retriever, slug: str, grade: int) -> UnitMaterial | None:
    embedder = retriever.embedder
    async with retriever.sessions() as session:
        rows = list(await session.execute(_UNIT_SQL, {"slug": slug, "model": embedder.name, "dim": embedder.dim}))
    if not rows:
        return None
    low, high = grade_range(rows[0].grade_band)
    return UnitMaterial(slug=slug, title=rows[0].title, grade_band=rows[0].grade_band, in_band=low <= grade <= high,
                        sections=[_section(r) for r in rows])


async def units_for(retriever: Retriever, grade: int) -> list[str]:
    """Titles of the curriculum units written for ``grade`` (for an honest 'no unit' answer)."""
    async with retriever.sessions() as session:
        rows = list(await session.execute(_UNITS_SQL))
    return [r.title for r in rows if grade_range(r.grade_band)[0] <= grade <= grade_range(r.grade_band)[1]]


def _section(row: Any) -> SourceSection:
    body = row.content.split("\n", 1)[1] if row.content.startswith(row.title) and "\n" in row.content else row.content
    return SourceSection(row.id, row.title, row.section, body.strip(), snippet(body))


def _teachable(unit: UnitMaterial) -> bool:
    roles = {role_of(s.section) for s in unit.sections}
    return "outcomes" in roles and bool(roles & {"warm_up", "sequence"})


async def _with_extras(retriever: Retriever, unit: UnitMaterial, grade: int, topic: str) -> UnitMaterial:
    """Add a closing routine, and a section from a neighbouring unit for each role this unit lacks."""
    extras: list[SourceSection] = []
    hits = await retriever.search(CLOSING_QUERY, kind="curriculum", k=5)
    extras += [SourceSection(h.chunk_id, h.title, h.section, h.text, h.snippet)
               for h in hits if CLOSE.search(h.text)][:1]
    have = {role_of(s.section) for s in unit.sections}
    band = f"{max(0, grade - NEAR)}-{min(12, grade + NEAR)}"
    for role, words in SUPPLEMENTS.items():
        if role in have:
            continue
        found = await retriever.retrieve(f"{topic} {words}", kind="curriculum", grade_band=band)
        hit = next((h for h in found.fused if role_of(h.section) == role), None)
        if hit is not None:
            extras.append(SourceSection(hit.chunk_id, hit.title, hit.section, hit.text, hit.snippet))
    return UnitMaterial(unit.slug, unit.title, unit.grade_band, unit.in_band, unit.sections, extras)


def role_of(heading: str) -> str | None:
    lowered = heading.lower()
    for role in ("outcomes", "warm_up", "progressions", "safety", "adaptations", "assessment", "cues", "games",
                 "sequence", "equipment"):
        if any(k in lowered for k in ROLES[role]):
            return role
    return None


