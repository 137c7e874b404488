"""Widget cards: valid Adaptive Card 1.5 structure, native chart with a PNG fallback, escaping, size limit."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.cards.widgets import MAX_CARD_BYTES, card_bytes, widget_card
from bot.cards.widgets.png import bar_chart, line_chart, pie_chart
from domain.identity import IdentityService
from domain.widgets import WIDGET_NAMES, ChartData, Metric, Period, Series, TableData, WidgetResult, WidgetService

ELEMENTS = {"TextBlock", "ColumnSet", "FactSet", "Table", "Container", "Image", "Chart.VerticalBar", "Chart.Line",
            "Chart.Pie"}
NOW = datetime.combine(date(2026, 11, 20), time(15), ZoneInfo("America/Chicago"))


def _walk(element: Any):  # type: ignore[no-untyped-def]
    if isinstance(element, dict):
        yield element
        for value in element.values():
            yield from _walk(value)
    elif isinstance(element, list):
        for item in element:
            yield from _walk(item)


def _decode_png(uri: str) -> tuple[int, int, bytes]:
    assert uri.startswith("data:image/png;base64,")
    data = base64.b64decode(uri.split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[idat - 4 : idat])
    return width, height, zlib.decompress(data[idat + 4 : idat + 4 + length])


def check_card(content: dict[str, Any]) -> None:
    assert content["type"] == "AdaptiveCard" and content["version"] == "1.5"
    json.dumps(content)
    assert card_bytes(content) <= MAX_CARD_BYTES
    for element in content["body"]:
        assert element["type"] in ELEMENTS, element["type"]
    for element in _walk(content["body"]):
        if element.get("type", "").startswith("Chart."):
            fallback = element["fallback"]
            images = [e for e in _walk(fallback) if e.get("type") == "Image"]
            assert len(images) == 1 and images[0]["altText"]
            _decode_png(images[0]["url"])
        if element.get("type") == "Table":
            width = len(element["columns"])
            assert all(len(row["cells"]) == width for row in element["rows"])


@pytest.fixture
async def demo_widgets(demo_sessions):  # type: ignore[no-untyped-def]
    return WidgetService(demo_sessions), IdentityService(demo_sessions)


@pytest.mark.parametrize("widget", WIDGET_NAMES)
async def test_every_widget_on_the_demo_district_makes_a_valid_small_card(demo_widgets, widget: str) -> None:  # type: ignore[no-untyped-def]
    service, identity = demo_widgets
    who, cls = ("marcus.hale@example.com", None) if widget == "drivers_ed_progress" else ("alexw@example.com", "period 3")
    actor = await identity.by_email(who)
    result = await service.run(actor, widget, now=NOW, class_text=cls)
    assert result.empty is None, f"the demo district has data for {widget}"
    content = widget_card(result)
    check_card(content)
    assert content["body"][0]["text"]  # the title
    assert "PE 7 — Period 3" in content["body"][1]["text"] or widget in ("drivers_ed_progress",)


async def test_an_admins_school_wide_cards_stay_under_the_size_limit(demo_widgets) -> None:  # type: ignore[no-untyped-def]
    service, identity = demo_widgets
    megan = await identity.by_email("meganb@example.com")
    for widget in ("attendance", "skill_gaps", "fitness_trends", "participation", "assessment_status",
                   "adaptive_pe", "incident_summary", "class_insights", "equipment"):
        check_card(widget_card(await service.run(megan, widget, now=NOW, period_days=365)))


def _result(**overrides: Any) -> WidgetResult:
    values: dict[str, Any] = {
        "widget": "attendance", "title": "Attendance", "scope": "PE 7 — Period 3",
        "period": Period(date(2026, 10, 22), date(2026, 11, 20), 30),
        "metrics": (Metric("Attendance rate", "96.4%", 96.4), Metric("Below 90%", "1", 1)),
        "table": TableData(("Student", "Rate"), (("*Bold* [x](https://evil.example)", "86.4%"),), "At risk"),
        "chart": ChartData("line", "Weekly attendance", ("Nov 2", "Nov 9", "Nov 16"),
                           (Series("Attendance %", (95.0, 97.5, 96.0)),), "%", 100),
        "student_names": ("*Bold*",),
    }
    values.update(overrides)
    return WidgetResult(**values)


def test_text_from_data_is_escaped() -> None:
    content = widget_card(_result())
    texts = [e["text"] for e in _walk(content) if e.get("type") == "TextBlock"]
    assert "\\*Bold\\* \\[x\\](https://evil.example)" in texts
    assert not any("[x](" in t for t in texts)


def test_the_chart_is_native_with_a_png_fallback_by_default_and_png_only_on_request() -> None:
    native = widget_card(_result())
    chart = next(e for e in native["body"] if e["type"] == "Chart.Line")
    assert chart["data"][0]["values"][1] == {"x": "Nov 9", "y": 97.5}
    assert chart["fallback"]["type"] == "Container"
    only_png = widget_card(_result(), fallback_only=True)
    assert not any(e.get("type", "").startswith("Chart.") for e in _walk(only_png))
    check_card(only_png)


def test_an_empty_result_shows_no_figures() -> None:
    content = widget_card(_result(metrics=(), table=None, chart=None, empty="No attendance was recorded."))
    types = [e["type"] for e in content["body"]]
    assert types == ["TextBlock", "TextBlock", "TextBlock", "TextBlock"]
    assert content["body"][2]["text"] == "No attendance was recorded."


def test_a_huge_table_is_trimmed_to_fit_and_says_so() -> None:
    rows = tuple((f"Student number {i} with a very long name indeed", "x" * 120) for i in range(400))
    content = widget_card(_result(table=TableData(("Student", "Note"), rows, "Everyone")))
    check_card(content)
    shown = next(e for e in content["body"] if e["type"] == "Table")["rows"]
    assert 1 < len(shown) < 400
    assert any(e.get("text", "").startswith(f"Showing {len(shown) - 1} of 400") for e in content["body"])


@pytest.mark.parametrize("draw", [lambda: bar_chart([[10, 50, 100]], 100), lambda: line_chart([[10, 90], [50, 20]]),
                                  lambda: pie_chart([1, 2, 3])])
def test_png_charts_are_small_valid_images_with_something_drawn(draw) -> None:  # type: ignore[no-untyped-def]
    png = draw()
    assert len(png) < 4000
    width, height, raw = _decode_png("data:image/png;base64," + base64.b64encode(png).decode())
    assert len(raw) == height * (width + 1)
    assert any(b not in (0, 1, 2) for b in raw[1:])  # some series colour, not only background and axes


def test_a_period_across_new_year_names_both_years_and_one_within_a_year_names_it_once() -> None:
    assert Period(date(2025, 12, 6), date(2026, 12, 5), 365).label() == "Dec 6, 2025 – Dec 5, 2026 (365 days)"
    assert Period(date(2026, 10, 22), date(2026, 11, 20), 30).label() == "Oct 22 – Nov 20, 2026 (30 days)"
