"""Equipment checks: "checked the climbing harnesses, #3 is frayed" → an inspection row for the item and one per
numbered piece with a problem. A failed piece (or the whole item) is out of service at once: the equipment and
safety_risks widgets show it from the next run. Any staff member of the school may record a check; every check is
audited (``equipment.inspect``); the card's key makes a second press write nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from rapidfuzz import fuzz
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.alerts.types import Clock, Waker, utc_now
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.models import Equipment, EquipmentInspection, SchoolClass, Staff
from domain.records.common import check_key, claim
from domain.records.notices import enqueue_notices
from domain.validation import SUMMARY, validate_fields

Result = Literal["repair", "fail"]
MATCH_AT = 70
OLDEST = timedelta(days=60)
_ITEM = re.compile(r"^#?\s*(\d{1,3})$")


class Problem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    item: str | None = Field(default=None, max_length=10)  # "#3"; None: the item as a whole
    result: Result
    note: str = Field(default="", max_length=200)

    @field_validator("item")
    @classmethod
    def _numbered(cls, value: str | None) -> str | None:
        if not value:
            return None
        found = _ITEM.match(value)
        if not found:
            raise ValueError("give the piece's number, e.g. #3")
        return f"#{int(found.group(1))}"


class CheckDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    equipment_id: int = Field(gt=0)
    day: date
    problems: list[Problem] = Field(default_factory=list, max_length=30)


def validate_check(data: dict[str, object], today: date) -> CheckDraft:
    draft = validate_fields(
        CheckDraft, data, lambda e: "Give the piece's number, e.g. #3." if "number" in str(e.get("msg")) else None)
    if draft.day > today:
        raise InvalidInput(SUMMARY, {"day": "A check can't be recorded for a future date."})
    if draft.day < today - OLDEST:
        raise InvalidInput(SUMMARY, {"day": "More than 60 days ago: ask the office to enter it."})
    return draft


@dataclass(frozen=True, slots=True)
class CheckSheet:
    key: str
    equipment_id: int
    name: str
    pieces: int  # how many there are (numbered #1..#n)
    day: date
    problems: tuple[tuple[str | None, str, str], ...]  # (item, result, note)


@dataclass(frozen=True, slots=True)
class SavedCheck:
    created: bool
    name: str
    day: date
    result: str  # pass | repair | fail (the whole check)
    out_of_service: tuple[str, ...]  # pieces (or the item) out of service now
    affected: tuple[str, ...] = ()  # "PE 7 — Period 3 (Tess)": other teachers' classes using it today
    notified: int = 0  # teachers sent a private notice (domain.records.notices)


class EquipmentCheckService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, waker: Waker | None = None,
                 clock: Clock = utc_now) -> None:
        """``waker``: pokes the relays once a check that queued notices has committed (``domain.records.notices``)."""
        self._sessions = sessions
        self._waker = waker
        self._clock = clock

    async def sheet(self, actor: Actor, *, equipment_text: str, day: date,
                    problems: Sequence[tuple[str | None, str, str]] = ()) -> CheckSheet:
        """The check card for one item of the caller's school, found by (fuzzy) name."""
        async with self._sessions() as session:
            item = await self._find(session, actor, equipment_text)
        return CheckSheet(uuid.uuid4().hex, item.id, item.name, item.item_count or item.quantity, day, tuple(problems))

    async def item(self, actor: Actor, equipment_id: int) -> tuple[str, int]:
        async with self._sessions() as session:
            item = await session.get(Equipment, equipment_id)
        if item is None or item.school_id != actor.school_id:
            raise NotAllowed("You can only record checks of your school's equipment.")
        return item.name, item.item_count or item.quantity

    async def save(self, actor: Actor, draft: CheckDraft, key: str, *, via: str) -> SavedCheck:
        check_key(key)
        async with self._sessions() as session:
            item = await session.get(Equipment, draft.equipment_id)
        if item is None or item.school_id != actor.school_id:
            await audit.record_refusal(self._sessions, actor, action="equipment.inspect", subject_type="equipment",
                                       subject_ids=[draft.equipment_id], via=via, reason="not the caller's school")
            raise NotAllowed("You can only record checks of your school's equipment.")
        pieces = item.item_count or item.quantity
        errors = {f"problem_{i}": f"There are {pieces}: #1 to #{pieces}." for i, p in enumerate(draft.problems)
                  if p.item and int(p.item[1:]) > pieces}
        if errors:
            raise InvalidInput(SUMMARY, errors)
        overall = "fail" if any(p.result == "fail" for p in draft.problems) else \
            "repair" if draft.problems else "pass"
        whole_failed = any(p.result == "fail" and p.item is None for p in draft.problems)
        failed = tuple(p.item or item.name for p in draft.problems if p.result == "fail")
        notified: list[int] = []
        async with self._sessions() as session, session.begin():
            first = await claim(session, actor, key, "equipment", {"name": item.name, "day": draft.day.isoformat(),
                                                                   "result": overall, "out": list(failed)})
            if first is not None:
                return SavedCheck(False, first["name"], date.fromisoformat(first["day"]), first["result"],
                                  tuple(first["out"]))
            # one check of an item at a time: notices are announced once per piece and failure (notices.py)
            await session.execute(select(Equipment.id).where(Equipment.id == item.id).with_for_update())
            summary = "; ".join(f"{p.item or 'whole item'}: {p.result}" + (f" ({p.note})" if p.note else "")
                                for p in draft.problems) or "all pieces passed"
            rows = [{"equipment_id": item.id, "inspector_id": actor.staff_id, "inspected_on": draft.day,
                     "result": overall, "notes": summary[:2000], "item_label": None, "idempotency_key": key}]
            rows += [{"equipment_id": item.id, "inspector_id": actor.staff_id, "inspected_on": draft.day,
                      "result": p.result, "notes": p.note or None, "item_label": p.item, "idempotency_key": key}
                     for p in draft.problems if p.item]
            await session.execute(insert(EquipmentInspection), rows)
            changes: dict[str, object] = {}
            if whole_failed:
                changes = {"out_of_service": True, "condition": "damaged"}
            elif overall == "pass":
                changes = {"out_of_service": False, "condition": "good"} if item.condition != "retired" else {}
            if changes:
                await session.execute(update(Equipment).where(Equipment.id == item.id).values(**changes))
            await audit.record(session, actor, action="equipment.inspect", subject_type="equipment",
                               subject_ids=[item.id], via=via, allowed=True, reason=overall)
            affected = await self._classes_using_today(session, actor, item, draft.day) if failed else ()
            notified = await enqueue_notices(
                session, actor, equipment_id=item.id, units=list(item.units or []),
                failed=[(p.item or item.name, p.note) for p in draft.problems if p.result == "fail"],
                day=draft.day, key=key, via=via, now=self._clock())
        if notified and self._waker is not None:
            self._waker.poke()  # committed: the relays deliver the notices now
        return SavedCheck(True, item.name, draft.day, overall, failed, affected, notified=len(notified))

    @staticmethod
    async def _classes_using_today(session: AsyncSession, actor: Actor, item: Equipment, day: date) -> tuple[str, ...]:
        """Other teachers' classes at the school that meet on ``day`` in a unit that uses this item."""
        if not item.units:
            return ()
        rows = await session.execute(
            select(SchoolClass.name, SchoolClass.meeting_days, Staff.display_name)
            .join(Staff, Staff.id == SchoolClass.teacher_id)
            .where(SchoolClass.school_id == actor.school_id, SchoolClass.current_unit.in_(list(item.units)),
                   SchoolClass.teacher_id != actor.staff_id)
            .order_by(SchoolClass.period, SchoolClass.name))
        return tuple(f"{name} ({teacher})" for name, days, teacher in rows if day.weekday() in (days or []))

    @staticmethod
    async def _find(session: AsyncSession, actor: Actor, text: str) -> Equipment:
        query = " ".join(text.lower().replace("-", " ").split())
        if not query or len(query) > 120:
            raise InvalidInput("Name the equipment (up to 120 characters).")
        items = list((await session.execute(
            select(Equipment).where(Equipment.school_id == actor.school_id, Equipment.condition != "retired")
        )).scalars())
        scored = sorted(((fuzz.token_set_ratio(query, i.name.lower().replace("-", " ")), i.name, i) for i in items),
                        key=lambda t: (-t[0], t[1]))
        good = [t for t in scored if t[0] >= MATCH_AT]
        if not good:
            closest = ", ".join(t[1] for t in scored[:3])
            raise NotFound(f"No equipment called '{text[:60]}' at {actor.school_name}. Closest: {closest}.")
        best = [t for t in good if t[0] >= good[0][0] - 2]
        if len(best) > 1 and best[0][0] < 100:
            raise InvalidInput(f"'{text[:60]}' could be: " + "; ".join(t[1] for t in best[:5]) + ". Which one?")
        return best[0][2]
