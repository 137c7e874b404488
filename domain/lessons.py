"""Lesson plans: the validated draft (sections, minutes, citations), requests, and saving/reopening by author.

A plan is written from curriculum chunks (``knowledge.lesson_builder``: deterministically, or by a model) and is
shown only after ``LessonPlanDraft`` validation: every section present and cited, minutes adding up exactly to the
requested duration. Saving is idempotent by the card's key; a saved plan is readable by its author only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotFound
from domain.models import Enrollment, LessonPlan, SchoolClass

MIN_MINUTES, MAX_MINUTES, DEFAULT_MINUTES = 10, 120, 45
TIMED = ("warm_up", "skill_development", "game_or_application", "cool_down")
NOTES = ("equipment", "safety_notes", "adaptations", "assessment")
LABELS = {"objectives": "Objectives", "warm_up": "Warm-up", "skill_development": "Skill development",
          "game_or_application": "Game / application", "cool_down": "Cool-down", "equipment": "Equipment",
          "safety_notes": "Safety notes", "adaptations": "Adaptations and differentiation",
          "assessment": "Assessment (exit ticket)"}
_TEXT = 600  # longest single activity / note


class TimedSection(BaseModel):
    minutes: int
    activities: list[str]
    cites: list[int]  # source labels, as on the card: [n]


class NoteSection(BaseModel):
    items: list[str]
    cites: list[int]


class Objective(BaseModel):
    text: str
    cites: list[int]  # the grade-level outcome(s) it is tied to


class LessonContent(BaseModel):
    """What a writer produces (also the JSON schema a model is asked to fill: no defaults, every field required)."""

    title: str
    objectives: list[Objective]
    warm_up: TimedSection
    skill_development: TimedSection
    game_or_application: TimedSection
    cool_down: TimedSection
    equipment: NoteSection
    safety_notes: NoteSection
    adaptations: NoteSection
    assessment: NoteSection


class Source(BaseModel):
    label: int
    chunk_id: str = Field(max_length=300)
    title: str = Field(max_length=300)
    section: str = Field(max_length=300)
    snippet: str = Field(default="", max_length=400)


class LessonPlanDraft(LessonContent):
    """A complete plan. Validation collects every problem into one message (the writer fallback shows it)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    grade: int = Field(ge=0, le=12)
    topic: str = Field(min_length=1, max_length=200)
    duration_minutes: int = Field(ge=MIN_MINUTES, le=MAX_MINUTES)
    unit: str = Field(default="", max_length=300)
    citations: list[Source]
    notes: list[str] = Field(default_factory=list, max_length=8)
    focus: str | None = Field(default=None, max_length=200)
    class_size: int | None = Field(default=None, ge=1, le=80)
    available_equipment: list[str] = Field(default_factory=list, max_length=30)
    variation: int = Field(default=0, ge=0, le=10_000)

    @model_validator(mode="after")
    def _complete(self) -> LessonPlanDraft:
        found = problems(self)
        if found:
            raise ValueError("; ".join(found))
        return self


def problems(plan: LessonPlanDraft) -> list[str]:
    """Every reason the plan cannot be shown: missing or empty sections, uncited sections, wrong minutes."""
    out: list[str] = []
    labels = {s.label for s in plan.citations}
    if not plan.title.strip() or len(plan.title) > 200:
        out.append("the title is missing or too long")
    if not plan.citations:
        out.append("no curriculum sources")
    if len(labels) != len(plan.citations):
        out.append("source labels repeat")
    if not 1 <= len(plan.objectives) <= 6:
        out.append("objectives: give 1 to 6")
    for objective in plan.objectives:
        _check_cited("objectives", [objective.text], objective.cites, labels, out)
    for name in TIMED:
        section: TimedSection = getattr(plan, name)
        if section.minutes < 1:
            out.append(f"{LABELS[name]}: needs at least 1 minute")
        _check_cited(LABELS[name], section.activities, section.cites, labels, out)
    for name in NOTES:
        notes: NoteSection = getattr(plan, name)
        _check_cited(LABELS[name], notes.items, notes.cites, labels, out)
    total = sum(getattr(plan, name).minutes for name in TIMED)
    if total != plan.duration_minutes:
        out.append(f"section minutes add up to {total}, not {plan.duration_minutes}")
    return out


def _check_cited(name: str, texts: list[str], cites: list[int], labels: set[int], out: list[str]) -> None:
    if not texts or not all(t.strip() for t in texts) or len(texts) > 12:
        out.append(f"{name}: needs 1 to 12 non-empty entries")
    if any(len(t) > _TEXT for t in texts):
        out.append(f"{name}: an entry is longer than {_TEXT} characters")
    if not cites:
        out.append(f"{name}: not cited")
    elif not set(cites) <= labels:
        out.append(f"{name}: cites a source that is not listed")


def allocate(duration: int, weights: list[float]) -> list[int]:
    """Whole minutes in proportion to ``weights`` that always sum exactly to ``duration`` (largest remainder; each
    share at least 1 minute when the duration allows)."""
    total = sum(weights)
    raw = [duration * w / total for w in weights]
    shares = [max(1, int(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - int(raw[i])), i))
    i = 0
    while sum(shares) < duration:
        shares[order[i % len(order)]] += 1
        i += 1
    while sum(shares) > duration:  # only when the 1-minute floors overshoot
        biggest = max(range(len(shares)), key=lambda j: (shares[j], -j))
        shares[biggest] -= 1
    return shares


def rebalance(plan: LessonPlanDraft, duration: int) -> LessonPlanDraft:
    """The same plan for a new duration: each timed section keeps its share of the lesson."""
    minutes = allocate(duration, [float(getattr(plan, n).minutes) for n in TIMED])
    data = plan.model_dump()
    data["duration_minutes"] = duration
    for name, value in zip(TIMED, minutes, strict=True):
        data[name]["minutes"] = value
    return validate_plan(data)


def validate_plan(data: object) -> LessonPlanDraft:
    """Untrusted plan data (a writer's output, a card's data) → a valid plan, or ``InvalidInput`` saying why."""
    try:
        return LessonPlanDraft.model_validate(data)
    except ValidationError as exc:
        reasons = [str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()[:6]]
        raise InvalidInput("The lesson plan is incomplete: " + "; ".join(reasons) + ".", {"plan": reasons[0]}) from exc


class LessonRequest(BaseModel):
    """What the teacher asked for (chat or form). ``variation`` counts Regenerate presses."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    grade: int = Field(ge=0, le=12)
    topic: str = Field(min_length=2, max_length=200)
    duration_minutes: int = Field(default=DEFAULT_MINUTES, ge=MIN_MINUTES, le=MAX_MINUTES)
    equipment: list[str] = Field(default_factory=list, max_length=30)
    class_size: int | None = Field(default=None, ge=1, le=80)
    focus: str | None = Field(default=None, max_length=200)
    class_id: int | None = None
    variation: int = Field(default=0, ge=0, le=10_000)


_RANGES = {"grade": "Pick a grade from K to 12.", "duration_minutes": f"From {MIN_MINUTES} to {MAX_MINUTES} minutes.",
           "class_size": "From 1 to 80 students.", "equipment": "At most 30 items."}


def validate_request(data: dict[str, object]) -> LessonRequest:
    """Untrusted form input → a request, or ``InvalidInput`` with a message per field."""
    try:
        return LessonRequest.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for e in exc.errors():
            name, kind = (str(e["loc"][0]) if e["loc"] else "form"), e["type"]
            if kind in ("missing", "string_too_short"):
                errors.setdefault(name, "Required.")
            elif kind == "string_too_long":
                errors.setdefault(name, f"Too long (at most {(e.get('ctx') or {}).get('max_length')} characters).")
            else:
                errors.setdefault(name, _RANGES.get(name, "Not valid."))
        raise InvalidInput("Some fields need attention.", errors) from exc


@dataclass(frozen=True, slots=True)
class LessonPlanResult:
    """A plan to show on a card. ``key`` makes its Save idempotent; ``saved_id`` is set once saved/reopened."""

    key: str
    plan: LessonPlanDraft
    request: LessonRequest
    writer: str = "offline"
    saved_id: int | None = None
    error: str | None = None  # e.g. an invalid new duration, shown next to the input


@dataclass(frozen=True, slots=True)
class SavedLesson:
    id: int
    created: bool  # False when the key had already been used
    title: str
    created_at: datetime
    plan: LessonPlanDraft


class LessonService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex

    async def class_context(self, actor: Actor, hint: str) -> tuple[int, int] | None:
        """(id, enrolled students) of the caller's one class matching a name or period, else None."""
        wanted = hint.strip().lower()
        async with self._sessions() as session:
            rows = (await session.execute(select(SchoolClass.id, SchoolClass.name, SchoolClass.period)
                                          .where(class_visible(actor)))).all()
            ids = [i for i, name, period in rows
                   if wanted and (wanted in name.lower() or wanted in (period.lower(), f"period {period}".lower()))]
            if len(ids) != 1:
                return None
            size = await session.scalar(select(func.count()).where(Enrollment.class_id == ids[0]))
        return ids[0], int(size or 0)

    async def save(self, actor: Actor, plan: LessonPlanDraft, key: str, *, class_id: int | None = None,
                   via: str) -> SavedLesson:
        """Save once per key (a double press or a re-send returns the first save)."""
        if not key or len(key) > 80:
            raise InvalidInput("This plan card has expired; ask for the plan again.")
        async with unit_of_work(self._sessions) as session:
            if class_id is not None:  # only a class the caller teaches (or, for admins, in their school)
                class_id = await session.scalar(select(SchoolClass.id).where(SchoolClass.id == class_id,
                                                                             class_visible(actor)))
            stmt = (
                insert(LessonPlan)
                .values(author_id=actor.staff_id, class_id=class_id, grade=plan.grade, topic=plan.topic[:200],
                        duration_minutes=plan.duration_minutes, plan=plan.model_dump(mode="json"),
                        idempotency_key=key)
                .on_conflict_do_nothing(index_elements=[LessonPlan.idempotency_key])
                .returning(LessonPlan.id)
            )
            new_id = (await session.execute(stmt)).scalar_one_or_none()
            row = (await session.execute(select(LessonPlan).where(LessonPlan.idempotency_key == key))).scalar_one()
            if row.author_id != actor.staff_id:
                raise NotFound("This plan card was already used by someone else.")
            if new_id is not None:
                await audit.record(session, actor, action="lesson.create", subject_type="lesson_plan",
                                   subject_ids=[row.id], via=via, allowed=True)
            return _saved(row, created=new_id is not None)

    async def get(self, actor: Actor, plan_id: int, *, via: str) -> SavedLesson:
        """A saved plan, for its author only; anyone else gets NotFound (the attempt is audited)."""
        async with unit_of_work(self._sessions) as session:
            row = await session.get(LessonPlan, plan_id)
            allowed = row is not None and row.author_id == actor.staff_id
            await audit.record(session, actor, action="lesson.read", subject_type="lesson_plan", subject_ids=[plan_id],
                               via=via, allowed=allowed, reason=None if allowed else "not the plan's author")
        if row is None or not allowed:
            raise NotFound("No saved lesson plan with that number is yours.")
        return _saved(row, created=False)


def _saved(row: LessonPlan, *, created: bool) -> SavedLesson:
    plan = validate_plan(row.plan)
    return SavedLesson(id=row.id, created=created, title=plan.title, created_at=row.created_at, plan=plan)


def relabel(plan: LessonPlanDraft, number: Callable[[Source], int]) -> LessonPlanDraft:
    """Renumber the plan's sources with ``number`` (the turn's citation labels [n]), so the card and the answer
    agree."""
    mapping = {s.label: number(s) for s in plan.citations}
    data: dict[str, Any] = plan.model_dump()
    data["citations"] = [{**s, "label": mapping[s["label"]]} for s in data["citations"]]
    for objective in data["objectives"]:
        objective["cites"] = sorted({mapping[c] for c in objective["cites"]})
    for name in (*TIMED, *NOTES):
        data[name]["cites"] = sorted({mapping[c] for c in data[name]["cites"]})
    return LessonPlanDraft.model_validate(data)
