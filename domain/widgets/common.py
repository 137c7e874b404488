"""Helpers shared by the widgets: audit rows for what a widget shows, number formatting, table truncation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain import audit
from domain.widgets.result import TableData
from domain.widgets.scope import WidgetScope

MAX_TABLE_ROWS = 10
# Set by ``WidgetService.run(full_tables=True)`` for an export: the file carries every row the card would trim.
FULL_TABLES: ContextVar[bool] = ContextVar("widget_full_tables", default=False)


async def audit_students(session: AsyncSession, scope: WidgetScope, student_ids: Iterable[int]) -> None:
    """One ``student.read`` row per student whose data the widget shows (once per student per run)."""
    new = sorted(set(student_ids) - set(scope.shown))
    scope.shown.extend(new)
    await audit.record(session, scope.actor, action="student.read", subject_type="student",
                       subject_ids=new, via=scope.via, allowed=True)


async def audit_classes(session: AsyncSession, scope: WidgetScope) -> None:
    """Class-level aggregates (no per-student rows shown): one ``class.read`` row per class, or the school."""
    if scope.school_wide:
        await audit.record(session, scope.actor, action="school.read", subject_type="school",
                           subject_ids=[scope.actor.school_id], via=scope.via, allowed=True)
        return
    await audit.record(session, scope.actor, action="class.read", subject_type="class",
                       subject_ids=scope.class_ids, via=scope.via, allowed=True)


def pct(part: float, whole: float) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def pct_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def num_text(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}" if value != int(value) or digits == 0 else f"{int(value)}"


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], limit: int = MAX_TABLE_ROWS) -> TableData:
    if FULL_TABLES.get():
        limit = len(rows)
    shown = tuple(tuple(r) for r in rows[:limit])
    return TableData(columns=tuple(columns), rows=shown, title=title,
                     total_rows=len(rows) if len(rows) > limit else None)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_label(day: date) -> str:
    return f"{day:%b} {day.day}"
