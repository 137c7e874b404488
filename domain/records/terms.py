"""The term a recording must fall in. Attendance, fitness results and skill levels are recorded only for days inside
the class's current term and not in the future:

- the class's own term when a roster import gave it one (``classes.term_*``: OneRoster/SDS v2.1 academicSessions,
  SDS v1 ``Term StartDate``/``Term EndDate``, Graph ``term``);
- otherwise the district's terms from the ``SCHOOL_TERMS`` setting: the current one is the latest that has started
  by today (after it ends, until the next starts, its last weeks can still be completed); before the first term
  starts, the first one;
- with neither, only the future and the 60-day limit of each kind apply.

A day outside comes back as a per-field error on ``day`` and nothing is saved."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.actor import Actor
from domain.models import SchoolClass


@dataclass(frozen=True, slots=True)
class TermWindow:
    name: str
    starts_on: date
    ends_on: date

    @property
    def label(self) -> str:
        return f"{self.name}: {_day(self.starts_on)} – {_day(self.ends_on)}"


def _day(value: date) -> str:
    return f"{value:%b} {value.day}, {value.year}"


def current_term(terms: Sequence[TermWindow], today: date) -> TermWindow | None:
    """The district's current term (see the module docstring); None when no terms are set."""
    if not terms:
        return None
    started = [t for t in terms if t.starts_on <= today]
    if started:
        return max(started, key=lambda t: (t.starts_on, t.ends_on))
    return min(terms, key=lambda t: (t.starts_on, t.ends_on))


def class_term(name: str | None, starts_on: date | None, ends_on: date | None,
               fallback: TermWindow | None) -> TermWindow | None:
    """The class's own term from the roster, else the district's current term."""
    if starts_on is not None and ends_on is not None:
        return TermWindow(name or "the class's term", starts_on, ends_on)
    return fallback


def day_error(day: date, term: TermWindow | None) -> str | None:
    """The ``day`` field's message when ``day`` is outside ``term`` (None: fine)."""
    if term is None:
        return None
    if day < term.starts_on:
        return f"{_day(day)} is before the term ({term.label})."
    if day > term.ends_on:
        return f"{_day(day)} is after the term ended ({term.label})."
    return None


def local_today(actor: Actor) -> date:
    """Today at the caller's school."""
    try:
        return datetime.now(ZoneInfo(actor.time_zone)).date()
    except (KeyError, ValueError):  # an unknown zone name: the server's date
        return date.today()


async def term_error(session: AsyncSession, class_ids: Collection[int], day: date,
                     fallback: TermWindow | None) -> str | None:
    """The ``day`` message when ``day`` is outside the term of any of these classes (None: inside every one)."""
    rows: list[tuple[str | None, date | None, date | None]] = [(None, None, None)]  # no class: the district's term
    if class_ids:
        rows = [tuple(r) for r in (await session.execute(  # type: ignore[misc]
            select(SchoolClass.term_name, SchoolClass.term_starts_on, SchoolClass.term_ends_on)
            .where(SchoolClass.id.in_(list(class_ids))).order_by(SchoolClass.id)
        )).all()] or rows
    for name, starts_on, ends_on in rows:
        message = day_error(day, class_term(name, starts_on, ends_on, fallback))
        if message:
            return message
    return None
