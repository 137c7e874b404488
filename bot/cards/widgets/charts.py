"""The chart element of a widget card: Teams' native ``Chart.*`` element, with a small PNG as its ``fallback``.

Default: native. Teams (desktop, web, mobile) draws ``Chart.VerticalBar`` / ``Chart.Line`` / ``Chart.Pie`` from data
(crisp, themed, accessible, no image bytes to fetch). Hosts that do not know these elements (the Agents Playground's
Adaptive Cards renderer, Outlook, older Teams clients) render the element's ``fallback`` instead: a ``Container`` with
a server-rendered PNG (indexed colour, ~1–3 KB as a ``data:`` URI) and a one-line caption with the values, since the
PNG carries no text. ``fallback_only=True`` returns just that container (for tests and for hosts known to lack charts).
"""

from __future__ import annotations

from typing import Any

from bot.cards.elements import escape
from bot.cards.widgets import png
from domain.widgets.result import ChartData

MAX_POINTS = 16
COLOR_SET = "categorical"


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def native_chart(chart: ChartData) -> dict[str, Any]:
    labels = chart.labels[:MAX_POINTS]
    if chart.kind == "pie":
        values = chart.series[0].values[: len(labels)]
        return {"type": "Chart.Pie", "title": chart.title, "colorSet": COLOR_SET,
                "data": [{"legend": label, "value": v} for label, v in zip(labels, values, strict=False)]}
    if chart.kind == "line":
        element: dict[str, Any] = {
            "type": "Chart.Line", "title": chart.title, "colorSet": COLOR_SET,
            "data": [{"legend": s.name,
                      "values": [{"x": label, "y": v} for label, v in zip(labels, s.values, strict=False)]}
                     for s in chart.series],
        }
    else:
        element = {"type": "Chart.VerticalBar", "title": chart.title, "colorSet": COLOR_SET,
                   "data": [{"x": label, "y": v} for label, v in zip(labels, chart.series[0].values, strict=False)]}
    if chart.y_title:
        element["yAxisTitle"] = chart.y_title
    return element


def fallback_image(chart: ChartData) -> dict[str, Any]:
    labels = chart.labels[:MAX_POINTS]
    values = [list(s.values[: len(labels)]) for s in chart.series]
    if chart.kind == "pie":
        image = png.pie_chart(values[0])
    elif chart.kind == "line":
        image = png.line_chart(values, chart.y_max)
    else:
        image = png.bar_chart(values[:1], chart.y_max)
    caption = "; ".join(
        f"{label}: " + ", ".join(_fmt(v[i]) for v in values if i < len(v)) for i, label in enumerate(labels)
    )
    legend = " / ".join(s.name for s in chart.series)
    return {
        "type": "Container",
        "items": [
            {"type": "TextBlock", "text": escape(chart.title), "weight": "Bolder", "wrap": True},
            {"type": "Image", "url": png.data_uri(image), "altText": f"{chart.title}: {caption}", "size": "Stretch"},
            {"type": "TextBlock", "text": escape(f"{legend} — {caption}"), "isSubtle": True, "wrap": True,
             "size": "Small", "spacing": "None"},
        ],
    }


def chart_element(chart: ChartData, *, fallback_only: bool = False) -> dict[str, Any] | None:
    if not chart.labels or not chart.series:
        return None
    if fallback_only:
        return fallback_image(chart)
    element = native_chart(chart)
    element["fallback"] = fallback_image(chart)
    return element
