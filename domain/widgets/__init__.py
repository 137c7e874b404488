"""Widgets: analytics that answer "how is my class doing" from data, scoped to what the caller may see.

``WidgetService.run(actor, name, now=..., class_text=..., student_text=..., period_days=...)`` returns a
``WidgetResult`` (headline metrics, one small table, one chart series, scope, period, honest empty state).
"""

from domain.widgets.registry import WIDGET_NAMES, WIDGETS, WidgetSpec
from domain.widgets.result import ChartData, Metric, Period, Series, TableData, WidgetRequest, WidgetResult
from domain.widgets.service import MAX_PERIOD_DAYS, MIN_PERIOD_DAYS, WidgetService

__all__ = [
    "MAX_PERIOD_DAYS",
    "MIN_PERIOD_DAYS",
    "WIDGETS",
    "WIDGET_NAMES",
    "ChartData",
    "Metric",
    "Period",
    "Series",
    "TableData",
    "WidgetRequest",
    "WidgetResult",
    "WidgetService",
    "WidgetSpec",
]
