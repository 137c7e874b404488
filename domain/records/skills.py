"""Skill assessments: a rubric level 1–4 (beginning, developing, meeting, exceeding) per student for one skill of the
class's current unit, confirmed on a card, saved in one transaction with the card's key, audited per student.
``skill_gaps`` and ``assessment_status`` read them at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.errors import InvalidInput
from domain.models import SkillAssessment
from domain.records.classes import pick_class
from domain.records.common import check_key, claim, class_roster
from domain.records.roster_names import match
from domain.records.terms import TermWindow, current_term, local_today, term_error
from domain.validation import SUMMARY

LEVELS = {1: "1 Beginning", 2: "2 Developing", 3: "3 Meeting", 4: "4 Exceeding"}
OLDEST = timedelta(days=60)
REFUSAL = "You can only assess students in your own classes."


@dataclass(frozen=True, slots=True)
class SkillDraft:
    class_id: int
    skill: str
    day: date
    levels: tuple[tuple[int, int], ...]  # (student id, level)


def validate_skills(data: dict[str, object], today: date) -> SkillDraft:
    """``{"class_id", "skill", "day", "levels": {student id: "1".."4" or ""}}`` → a draft, or per-field errors."""
    errors: dict[str, str] = {}
    skill = " ".join(str(data.get("skill") or "").split())
    if not 2 <= len(skill) <= 80:
        errors["skill"] = "Name the skill (2 to 80 characters)."
    try:
        day = date.fromisoformat(str(data.get("day") or ""))
        if day > today:
            errors["day"] = "An assessment can't be recorded for a future date."
        elif day < today - OLDEST:
            errors["day"] = "More than 60 days ago: ask the office to enter it."
    except ValueError:
        day, errors["day"] = today, "Give a valid date."
    levels = []
    raw = data.get("levels") or {}
    assert isinstance(raw, dict)
    for sid, value in raw.items():
        text = str(value).strip()
        if not text:
            continue
        if text not in ("1", "2", "3", "4"):
            errors[f"student_{sid}"] = "A level from 1 to 4."
            continue
        levels.append((int(sid), int(text)))
    class_id = str(data.get("class_id") or "")
    if not class_id.isdigit():
        errors["form"] = "This card has expired; open a new one."
    elif not levels and not errors:
        errors["form"] = "Give at least one student a level."
    if errors:
        raise InvalidInput(SUMMARY, errors)
    return SkillDraft(int(class_id), skill, day, tuple(levels))


@dataclass(frozen=True, slots=True)
class SkillSheet:
    key: str
    class_id: int
    class_name: str
    unit: str
    skill: str
    day: date
    lines: tuple[tuple[int, str, str], ...]  # (student id, name, level text)
    suggestions: tuple[str, ...] = ()  # skills already assessed in this unit in this class
    unmatched: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SavedSkills:
    created: bool
    class_name: str
    skill: str
    day: date
    count: int
    below: int = 0  # below the benchmark (level < 3)


class SkillService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], terms: Sequence[TermWindow] = ()) -> None:
        self._sessions = sessions
        self._terms = tuple(terms)  # the SCHOOL_TERMS setting (domain.records.terms)

    async def sheet(
        self, actor: Actor, *, skill: str | None, class_text: str | None, day: date, now: datetime, via: str,
        levels: Sequence[tuple[str, int]] = (), class_id: int | None = None, key: str | None = None,
    ) -> SkillSheet:
        if class_id is None:
            async with self._sessions() as session:
                class_id = await pick_class(session, actor, class_text, now, [n for n, _ in levels], via=via)
        roster = await class_roster(self._sessions, actor, class_id, action="skill.record", via=via, refusal=REFUSAL)
        chosen: dict[int, str] = {}
        unmatched = []
        for name, level in levels:
            sid = match(name, roster.students)
            if sid is None:
                unmatched.append(name)
            else:
                chosen[sid] = str(level)
        async with self._sessions() as session:
            suggestions = tuple((await session.execute(
                select(SkillAssessment.skill).where(SkillAssessment.class_id == class_id,
                                                    SkillAssessment.unit == (roster.current_unit or ""))
                .group_by(SkillAssessment.skill).order_by(SkillAssessment.skill))).scalars())
        lines = tuple((s.student_id, s.display, chosen.get(s.student_id, "")) for s in roster.students)
        return SkillSheet(key or uuid.uuid4().hex, class_id, roster.class_name, roster.current_unit or "",
                          (skill or "").strip(), day, lines, suggestions, tuple(unmatched))

    async def save(self, actor: Actor, draft: SkillDraft, key: str, *, via: str,
                   today: date | None = None) -> SavedSkills:
        """``today``: the school's date (default: now in the caller's time zone), for the current term."""
        check_key(key)
        roster = await class_roster(self._sessions, actor, draft.class_id, action="skill.record", via=via,
                                    refusal=REFUSAL)
        strangers = {f"student_{sid}": "Not in this class." for sid, _ in draft.levels if sid not in roster.ids}
        if strangers:
            raise InvalidInput(SUMMARY, strangers)
        ids = [sid for sid, _ in draft.levels]
        below = sum(1 for _, level in draft.levels if level < 3)
        async with self._sessions() as session, session.begin():
            first = await claim(session, actor, key, "skills", {"class_name": roster.class_name, "skill": draft.skill,
                                                                "day": draft.day.isoformat(), "count": len(ids),
                                                                "below": below})
            if first is not None:
                return SavedSkills(False, first["class_name"], first["skill"], date.fromisoformat(first["day"]),
                                   first["count"], first["below"])
            outside = await term_error(session, [draft.class_id], draft.day,
                                       current_term(self._terms, today or local_today(actor)))
            if outside:
                raise InvalidInput(SUMMARY, {"day": outside})  # rolls the claim back: nothing is saved
            await session.execute(insert(SkillAssessment), [
                {"student_id": sid, "class_id": draft.class_id, "assessor_id": actor.staff_id, "skill": draft.skill,
                 "unit": roster.current_unit or "", "level": level, "assessed_on": draft.day}
                for sid, level in draft.levels])
            await audit.record(session, actor, action="skill.record", subject_type="student", subject_ids=ids,
                               via=via, allowed=True)
        return SavedSkills(True, roster.class_name, draft.skill, draft.day, len(ids), below)
