"""WidgetService: resolve what the caller asked about (within what they may see), run the widget, audit, commit.

One transaction per run: the widget's reads and its audit rows commit together. A refused class or student is
audited and committed *before* the error is raised, so the refusal is on record even though nothing is shown.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.db import unit_of_work
from domain.errors import DomainError, InvalidInput, NotAllowed
from domain.widgets.common import FULL_TABLES
from domain.widgets.registry import WIDGET_NAMES, WIDGETS, WidgetSpec
from domain.widgets.result import Period, WidgetRequest, WidgetResult
from domain.widgets.scope import (
    ClassRef,
    StudentNotInScope,
    WidgetScope,
    describe,
    matches,
    parse_class_text,
    resolve_student,
    school_classes_not_visible,
    visible_classes,
    wants_all,
)

MIN_PERIOD_DAYS, MAX_PERIOD_DAYS = 1, 365


class _Refused(Exception):
    def __init__(self, message: str, class_ids: list[int]) -> None:
        super().__init__(message)
        self.class_ids = class_ids


class WidgetService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def run(
        self,
        actor: Actor,
        widget: str,
        *,
        now: datetime,
        class_text: str | None = None,
        student_text: str | None = None,
        period_days: int | None = None,
        team_count: int | None = None,
        full_tables: bool = False,
    ) -> WidgetResult:
        """``full_tables``: every table row (an export); a card shows the first ``MAX_TABLE_ROWS``."""
        spec = WIDGETS.get(widget)
        if spec is None:
            raise InvalidInput(f"Unknown widget '{widget}'. Available: {', '.join(WIDGET_NAMES)}.")
        if period_days is not None and not MIN_PERIOD_DAYS <= period_days <= MAX_PERIOD_DAYS:
            raise InvalidInput(f"period_days must be between {MIN_PERIOD_DAYS} and {MAX_PERIOD_DAYS}.")
        today = now.date()
        days = period_days or spec.default_days or 30
        period = Period(today - timedelta(days=days - 1), today, days)
        via = f"widget:{spec.name}"
        deferred: DomainError | None = None
        result: WidgetResult | None = None
        async with unit_of_work(self._sessions) as session:
            try:
                scope = await self._scope(session, actor, spec, class_text, period, via)
                if student_text and spec.takes_student and scope.classes:
                    student = await resolve_student(session, actor, list(scope.classes), student_text, via=via)
                    scope = dataclasses.replace(scope, student=student, label=f"{student.display_name}, {scope.label}")
                if team_count is not None:
                    scope = dataclasses.replace(scope, options={"team_count": team_count})
                rows_token = FULL_TABLES.set(full_tables)
                try:
                    result = await spec.run(session, scope)
                finally:
                    FULL_TABLES.reset(rows_token)
                request = WidgetRequest(spec.name, class_text, student_text, period_days, team_count, today)
                result = dataclasses.replace(result, student_ids=tuple(scope.shown), request=request)
            except _Refused as refused:
                await audit.record(session, actor, action="class.read", subject_type="class",
                                   subject_ids=refused.class_ids, via=via, allowed=False,
                                   reason="not the caller's class")
                deferred = NotAllowed(str(refused))
            except StudentNotInScope as missing:
                deferred = missing  # the refused look-up's audit rows commit with this block
        if deferred is not None:
            raise deferred
        assert result is not None
        if spec.default_days is None:
            result = dataclasses.replace(result, period=None)
        if student_text and not spec.takes_student:
            result = dataclasses.replace(result, notes=(*result.notes, f"{spec.name} covers the whole class, "
                                                                        "not one student."))
        return result

    async def classes(self, actor: Actor) -> list[str]:
        """The names of the caller's classes (for the planner and for messages)."""
        async with self._sessions() as session:
            return [c.name for c in await visible_classes(session, actor)]

    async def _scope(
        self, session: AsyncSession, actor: Actor, spec: WidgetSpec, class_text: str | None, period: Period, via: str
    ) -> WidgetScope:
        visible = await visible_classes(session, actor)
        pool = [c for c in visible if spec.subject is None or c.subject == spec.subject]
        base = {"actor": actor, "today": period.end, "period": period, "via": via}
        if wants_all(class_text):
            if spec.scope == "one_class":
                if len(pool) == 1:
                    return WidgetScope(classes=(pool[0],), label=pool[0].name, **base)  # type: ignore[arg-type]
                raise InvalidInput(f"{spec.name} runs on one class: which one? Your classes: {describe(visible)}."
                                   if pool else "You have no classes on record, so there is nothing to show.")
            if not pool and spec.subject is None and not actor.is_school_wide:
                raise InvalidInput("You have no classes on record, so there is nothing to show.")
            school_wide = actor.is_school_wide
            label = (f"{actor.school_name} (school-wide)" if school_wide
                     else pool[0].name if len(pool) == 1 else f"your {len(pool)} classes")
            return WidgetScope(classes=tuple(pool), label=label, school_wide=school_wide, **base)  # type: ignore[arg-type]
        assert class_text is not None
        query = parse_class_text(class_text)
        chosen = [c for c in visible if matches(query, c)]
        if not chosen:
            others = [c for c in await school_classes_not_visible(session, actor) if matches(query, c)]
            if others:
                raise _Refused(f"'{class_text}' is not one of your classes, so I can't show it. "
                               f"Your classes: {describe(visible)}.", [c.id for c in others])
            raise InvalidInput(f"I couldn't find a class matching '{class_text}'. Your classes: {describe(visible)}.")
        if len(chosen) > 1:
            raise InvalidInput(f"'{class_text}' matches {len(chosen)} classes: {describe(chosen)}. Which one?")
        cls: ClassRef = chosen[0]
        if spec.subject and cls.subject != spec.subject:
            raise InvalidInput(f"{cls.name} is not a {spec.subject} class. Your {spec.subject} classes: "
                               f"{describe(pool)}.")
        return WidgetScope(classes=(cls,), label=cls.name, named_class=True, **base)  # type: ignore[arg-type]
