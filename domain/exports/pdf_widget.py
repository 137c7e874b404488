"""A widget's card as a PDF: title, scope and period, headline numbers, the chart (drawn as vectors: bars, lines or a
pie share bar, with the values printed), every table row (the card shows ten), notes. See ``pdf_base`` for why fpdf2.
"""

from __future__ import annotations

import itertools

from fpdf.fonts import FontFace

from domain.exports.pdf_base import INK, RULE, SUBTLE, Page, Provenance, render
from domain.widgets.result import ChartData, Metric, TableData, WidgetResult

SERIES_COLOURS = ((91, 95, 199), (0, 133, 127), (230, 117, 0), (135, 100, 184), (44, 160, 44), (196, 49, 75))
CHART_HEIGHT = 150.0
MAX_CHART_POINTS = 24
HEADLINE_COLUMNS = 4


def widget_pdf(result: WidgetResult, provenance: Provenance) -> bytes:
    return render(lambda compact: _draw(result, provenance, compact))


def _draw(result: WidgetResult, provenance: Provenance, compact: bool) -> Page:
    page = Page(result.title, provenance, compact=compact)
    page.alias_nb_pages()
    page.add_page()
    page.line_of(result.title, size=18, bold=True)
    scope = result.scope + (f" · {result.period.label()}" if result.period else "")
    if result.as_of:
        scope += f" · data as of {result.as_of:%b %-d, %Y}"
    page.line_of(scope, size=10, colour=SUBTLE)
    page.rule(10)
    if result.empty:
        page.line_of(result.empty, size=11)
        return page
    if result.metrics:
        _headline(page, result.metrics)
    if result.chart and result.chart.labels and result.chart.series:
        _chart(page, result.chart)
    if result.table:
        _table(page, result.table)
    for note in result.notes:
        page.line_of(note, size=9, colour=SUBTLE)
    if result.student_names:
        page.line_of("Access to student records is logged.", size=8, colour=SUBTLE)
    return page


def _headline(page: Page, metrics: tuple[Metric, ...]) -> None:
    width = (page.w - page.l_margin - page.r_margin) / HEADLINE_COLUMNS
    for start in range(0, len(metrics), HEADLINE_COLUMNS):
        top = page.get_y()
        for i, metric in enumerate(metrics[start:start + HEADLINE_COLUMNS]):
            x = page.l_margin + i * width
            page.set_xy(x, top)
            page.style(16, bold=True)
            page.cell(width - 6, 20, page.clean(metric.value))
            page.set_xy(x, top + 20)
            page.style(8, colour=SUBTLE)
            page.multi_cell(width - 6, 10, page.clean(metric.label))
        page.set_xy(page.l_margin, top + 44)
    page.rule(8)


def _chart(page: Page, chart: ChartData) -> None:
    if page.will_page_break(CHART_HEIGHT + 60):
        page.add_page()
    page.line_of(chart.title, size=11, bold=True)
    labels = chart.labels[:MAX_CHART_POINTS]
    if chart.kind == "pie":
        _share_bar(page, labels, chart.series[0].values[: len(labels)])
    else:
        _axes_chart(page, chart, labels)
    page.ln(6)


def _axes_chart(page: Page, chart: ChartData, labels: tuple[str, ...]) -> None:
    left, top = page.l_margin + 34, page.get_y() + 6
    width, height = page.w - page.r_margin - left, CHART_HEIGHT - 40
    values = [v for s in chart.series for v in s.values[: len(labels)]]
    top_value = chart.y_max or max(max(values, default=0.0), 1.0)
    page.set_draw_color(*RULE)
    page.style(7, colour=SUBTLE)
    for step in range(5):  # grid and y labels
        y = top + height - height * step / 4
        page.line(left, y, left + width, y)
        page.set_xy(page.l_margin, y - 4)
        page.cell(30, 8, _fmt(top_value * step / 4) + (chart.y_title if chart.y_title == "%" else ""), align="R")
    slot = width / max(len(labels), 1)
    series = chart.series[: len(SERIES_COLOURS)]
    for s_index, (s, colour) in enumerate(zip(series, SERIES_COLOURS, strict=False)):
        page.set_fill_color(*colour)
        page.set_draw_color(*colour)
        points = []
        for i, value in enumerate(s.values[: len(labels)]):
            share = max(min(value / top_value, 1.0), 0.0)
            if chart.kind == "bar":
                bar = slot * 0.7 / len(series)
                x = left + i * slot + slot * 0.15 + s_index * bar
                page.rect(x, top + height * (1 - share), bar, height * share, style="F")
                page.style(6, colour=INK)
                page.set_xy(x - 4, top + height * (1 - share) - 8)
                page.cell(bar + 8, 7, _fmt(value), align="C")
            else:
                points.append((left + i * slot + slot / 2, top + height * (1 - share), value))
        page.set_line_width(1.5)
        for (x0, y0, _), (x1, y1, _) in itertools.pairwise(points):
            page.line(x0, y0, x1, y1)
        page.set_line_width(0.57)
        for x, y, value in points:
            page.circle(x, y, 2.5, style="F")
            page.style(6, colour=INK)
            page.set_xy(x - 14, y - 10)
            page.cell(28, 7, _fmt(value), align="C")
    page.style(7, colour=SUBTLE)
    for i, label in enumerate(labels):
        page.set_xy(left + i * slot, top + height + 3)
        page.cell(slot, 8, page.clean(_short(page, label, slot)), align="C")
    page.set_xy(page.l_margin, top + height + 14)
    if len(series) > 1:
        _legend(page, [s.name for s in series])


def _share_bar(page: Page, labels: tuple[str, ...], values: tuple[float, ...]) -> None:
    """A pie's data as one stacked bar with a legend: the same shares, readable in print."""
    total = sum(values) or 1.0
    left, top = page.l_margin, page.get_y() + 4
    width = page.w - page.l_margin - page.r_margin
    x = left
    for value, colour in zip(values, itertools.cycle(SERIES_COLOURS), strict=False):
        part = width * value / total
        page.set_fill_color(*colour)
        page.rect(x, top, part, 18, style="F")
        x += part
    page.set_xy(left, top + 24)
    _legend(page, [f"{label}: {_fmt(value)} ({100 * value / total:.0f}%)" for label, value in zip(labels, values,
                                                                                                    strict=False)])


def _legend(page: Page, names: list[str]) -> None:
    page.style(8)
    for name, colour in zip(names, itertools.cycle(SERIES_COLOURS), strict=False):
        if page.get_x() > page.w - page.r_margin - 120:
            page.ln(11)
        page.set_fill_color(*colour)
        page.rect(page.get_x(), page.get_y() + 2, 7, 7, style="F")
        page.set_x(page.get_x() + 10)
        text = page.clean(name)
        page.cell(page.get_string_width(text) + 12, 11, text)
    page.ln(14)


def _table(page: Page, data: TableData) -> None:
    if data.title:
        page.line_of(data.title, size=11, bold=True)
    page.style(8)
    wide = [2 if i == 0 or any(w in c for w in ("Players", "Skills", "Issue", "Adaptations", "Flag")) else 1
            for i, c in enumerate(data.columns)]
    with page.table(col_widths=tuple(wide), text_align="LEFT", line_height=11, padding=2,
                    headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 244)),
                    borders_layout="HORIZONTAL_LINES") as table:
        header = table.row()
        for column in data.columns:
            header.cell(page.clean(column))
        for values in data.rows:
            row = table.row()
            for value in values:
                row.cell(page.clean(value))
    page.ln(6)


def _short(page: Page, label: str, width: float) -> str:
    text = page.clean(label)
    while len(text) > 1 and page.get_string_width(text) > width - 2:
        text = text[:-2] + "…" if page.family == "DejaVu" else text[:-2] + "."
    return text


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
