"""The widget card: one Adaptive Card 1.5 per ``WidgetResult`` (title, scope and period, headline numbers, a chart,
a small table, notes), kept under ``MAX_CARD_BYTES`` by trimming table rows (the card then says how many it shows)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot.cards.elements import card, escape, heading, submit, text
from bot.cards.widgets.charts import chart_element
from domain.widgets.result import Metric, TableData, WidgetRequest, WidgetResult

MAX_CARD_BYTES = 24_000  # Teams refuses messages over ~28 KB; leave room for the activity envelope
HEADLINE_COLUMNS = 4

EXPORT_WIDGET = "export.widget"  # bot/actions/export.py
EXPORT_FITNESS = "export.fitness"
DOWNLOADS = (("Download CSV", "csv"), ("Download Excel", "xlsx"), ("Download PDF", "pdf"))

__all__ = ["EXPORT_FITNESS", "EXPORT_WIDGET", "MAX_CARD_BYTES", "card_bytes", "download_actions", "widget_card"]


def card_bytes(content: dict[str, Any]) -> int:
    return len(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode())


def widget_card(result: WidgetResult, *, fallback_only: bool = False) -> dict[str, Any]:
    content = _build(result, fallback_only)
    table = result.table
    while table is not None and card_bytes(content) > MAX_CARD_BYTES and table.rows:
        keep = max(len(table.rows) // 2, 1) if len(table.rows) > 1 else 0
        table = replace(table, rows=table.rows[:keep], total_rows=table.total_rows or len(result.table.rows))  # type: ignore[union-attr]
        content = _build(replace(result, table=table if table.rows else None), fallback_only)
    if card_bytes(content) > MAX_CARD_BYTES:  # still too big: drop the image fallback, keep the native chart
        content = _build(replace(result, table=table), fallback_only, with_chart=False)
    return content


def _build(result: WidgetResult, fallback_only: bool, with_chart: bool = True) -> dict[str, Any]:
    scope = result.scope + (f" · {result.period.label()}" if result.period else "")
    if result.as_of:
        scope += f" · data as of {result.as_of:%b %-d, %Y}"
    body: list[dict[str, Any]] = [heading(result.title), text(scope, subtle=True)]
    if result.empty:
        body.append(text(result.empty))
        body.append(text("Nothing to chart: no figures are shown rather than made up.", subtle=True))
        return card(body)
    if result.metrics:
        body.append(_headline(result.metrics[:HEADLINE_COLUMNS]))
        if len(result.metrics) > HEADLINE_COLUMNS:
            body.append({"type": "FactSet", "facts": [{"title": escape(m.label), "value": escape(m.value)}
                                                       for m in result.metrics[HEADLINE_COLUMNS:]]})
    if result.chart and with_chart:
        element = chart_element(result.chart, fallback_only=fallback_only)
        if element:
            body.append({**element, "separator": True, "spacing": "Medium"})
    if result.table:
        body.extend(_table(result.table))
    for note in result.notes:
        body.append({**text(note, subtle=True), "size": "Small"})
    if result.student_names:
        body.append({**text("Access to student records is logged.", subtle=True), "size": "Small"})
    return card(body, download_actions(result.request))


def download_actions(request: WidgetRequest | None) -> list[dict[str, Any]]:
    """*Download* buttons: the table as CSV or Excel (every row), the card as PDF; a class's fitness card also offers
    the state report's results file. Each press runs the same widget again for the presser (bot/actions/export.py)."""
    if request is None:
        return []
    ask = {"widget": request.widget, "class": request.class_text, "student": request.student_text,
           "period_days": request.period_days, "team_count": request.team_count, "on": request.on.isoformat()}
    actions = [submit(title, EXPORT_WIDGET, format=fmt, **ask) for title, fmt in DOWNLOADS]
    if request.widget == "fitness_trends" and request.class_text and not request.student_text:
        actions.append(submit("State report (CSV)", EXPORT_FITNESS, format="csv", **{"class": request.class_text}))
    return actions


def _headline(metrics: tuple[Metric, ...]) -> dict[str, Any]:
    return {
        "type": "ColumnSet",
        "spacing": "Medium",
        "columns": [
            {
                "type": "Column",
                "width": "stretch",
                "items": [
                    {"type": "TextBlock", "text": escape(m.value), "size": "ExtraLarge", "weight": "Bolder",
                     "wrap": True},
                    {"type": "TextBlock", "text": escape(m.label), "isSubtle": True, "size": "Small", "wrap": True,
                     "spacing": "None"},
                ],
            }
            for m in metrics
        ],
    }


def _cell(value: str, bold: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": escape(value), "wrap": True, "size": "Small"}
    if bold:
        block["weight"] = "Bolder"
    return {"type": "TableCell", "items": [block]}


def _table(data: TableData) -> list[dict[str, Any]]:
    widths = [2 if i == 0 or "Players" in c or "Skills" in c or "Issue" in c or "Adaptations" in c else 1
              for i, c in enumerate(data.columns)]
    out: list[dict[str, Any]] = []
    if data.title:
        out.append({"type": "TextBlock", "text": escape(data.title), "weight": "Bolder", "wrap": True,
                    "separator": True, "spacing": "Medium"})
    out.append({
        "type": "Table",
        "gridStyle": "accent",
        "firstRowAsHeader": True,
        "showGridLines": False,
        "columns": [{"width": w} for w in widths],
        "rows": [{"type": "TableRow", "cells": [_cell(c, bold=True) for c in data.columns]}]
        + [{"type": "TableRow", "cells": [_cell(v) for v in row]} for row in data.rows],
    })
    if data.truncated:
        out.append({**text(f"Showing {len(data.rows)} of {data.total_rows}.", subtle=True), "size": "Small"})
    return out
