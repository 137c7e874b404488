"""What every widget returns: headline numbers, one small table, one chart series, the scope and the period.

A ``WidgetResult`` is plain data (no SQLAlchemy, no botbuilder): the tool turns it into the model's small dict, the
bot into an Adaptive Card. ``empty`` is set when there is nothing to show, and then no figure is reported at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

ChartKind = Literal["bar", "line", "pie"]


@dataclass(frozen=True, slots=True)
class Metric:
    """A headline number. ``value`` is the display text; ``number`` the raw figure (None when not numeric)."""

    label: str
    value: str
    number: float | None = None


@dataclass(frozen=True, slots=True)
class TableData:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    total_rows: int | None = None  # when the table is truncated: how many rows there were

    @property
    def truncated(self) -> bool:
        return self.total_rows is not None and self.total_rows > len(self.rows)


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ChartData:
    kind: ChartKind
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    y_title: str = ""
    y_max: float | None = None  # e.g. 100 for percentages


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive: "today" from the deps' clock
    days: int

    def label(self) -> str:
        start = f"{self.start:%b %-d, %Y}" if self.start.year != self.end.year else f"{self.start:%b %-d}"
        return f"{start} – {self.end:%b %-d, %Y} ({self.days} days)"


@dataclass(frozen=True, slots=True)
class WidgetRequest:
    """What was asked, as the user said it: enough to run the same widget again (an export of the card)."""

    widget: str
    class_text: str | None
    student_text: str | None
    period_days: int | None
    team_count: int | None
    on: date  # the day the card's figures end on


@dataclass(frozen=True, slots=True)
class WidgetResult:
    widget: str
    title: str
    scope: str  # "PE 7 — Period 3" | "Ridgeview Middle (school-wide)" | "your 3 classes"
    period: Period | None
    metrics: tuple[Metric, ...] = ()
    table: TableData | None = None
    chart: ChartData | None = None
    notes: tuple[str, ...] = ()
    empty: str | None = None  # the honest empty state, e.g. "No attendance recorded for PE 7 in this period."
    as_of: date | None = None  # the latest record the figures are based on
    student_names: tuple[str, ...] = field(default=())  # the students the widget shows by name
    student_ids: tuple[int, ...] = ()  # the students whose records were read (audited), set by the service
    request: WidgetRequest | None = None  # set by the service: what to run again for a download

    def headline(self) -> dict[str, str]:
        return {m.label: m.value for m in self.metrics}
