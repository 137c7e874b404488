"""Exports on this machine: the PDF of the largest widget and the one-page incident report, with the CSV and Excel of
the same widget and the widget's chat card as peers measured in the same run.

Run: ``.venv/bin/python -m bench.exports [--runs 50]``. Starts a scratch embedded PostgreSQL, migrates it to head
and seeds the demo district. The *largest widget* is the one whose export has the most table rows (every widget is
exported once as CSV to find it; ties go to the bigger PDF). Each case runs ``--runs`` times after 3 warm-ups, end
to end through the service a Download button calls (``ExportService.widget`` / ``.incident_report``: scope check,
widget SQL with every row, rendering, the stored file, the ``export.create`` and ``student.read`` audit rows,
commit, the signed link), and the rendering alone (``widget_pdf`` / ``csv_bytes`` / ``xlsx_bytes`` /
``incident_pdf`` on data already loaded). Peers, in the same run: the CSV export of the same widget (same pipeline,
another writer), and the widget card the chat shows (``WidgetService.run`` + ``widget_card``). Ratios are our p95 /
the peer's p95 (how many times dearer a PDF is). The incident is the longest-written one in the admin's school.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy import func, select

from bot.cards.widgets import card_bytes, widget_card
from devtools.embedded_servers import EmbeddedPostgres
from domain import migrate
from domain.actor import Actor
from domain.db import make_engine, make_sessionmaker
from domain.errors import DomainError
from domain.exports import ExportLinks, ExportService
from domain.exports.incident_report import incident_pdf, load_incident
from domain.exports.pdf_base import FONT_DIR, Provenance
from domain.exports.pdf_widget import widget_pdf
from domain.exports.tables import ExportTable, csv_bytes, xlsx_bytes
from domain.identity import IdentityService
from domain.models import Incident
from domain.seed import TERM_END, seed_demo
from domain.widgets import WidgetRequest, WidgetResult, WidgetService

TZ = ZoneInfo("America/Chicago")
NOW = datetime.combine(TERM_END, clock_time(15), TZ)
WARMUPS = 3
ADMIN, TEACHER, DRIVERS_ED = "meganb@example.com", "alexw@example.com", "marcus.hale@example.com"
SECRET = b"bench-exports-link-secret-0123456789"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(call: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float, Any]:
    """(p50 ms, p95 ms, last result) over ``runs`` calls after the warm-ups."""
    times: list[float] = []
    last: Any = None
    for i in range(runs + WARMUPS):
        started = time.perf_counter()
        last = await call()
        if i >= WARMUPS:
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), pct(times, 0.95), last


async def sync_timed(call: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    async def wrapped() -> Any:
        return call()

    return await timed(wrapped, runs)


def requests() -> list[tuple[str, WidgetRequest]]:
    """(who asks, what) for every widget, as bench.widgets runs them (a teacher's period 3, the admin's school-wide
    incident summary, the drivers-ed instructor's students), and every widget over the admin's whole school."""
    from domain.widgets import WIDGET_NAMES

    out = []
    for widget in WIDGET_NAMES:
        who = DRIVERS_ED if widget == "drivers_ed_progress" else ADMIN if widget == "incident_summary" else TEACHER
        class_text = None if who != TEACHER else "period 3"
        out.append((who, WidgetRequest(widget, class_text, None, None, None, NOW.date())))
        if who != ADMIN:
            out.append((ADMIN, WidgetRequest(widget, None, None, None, None, NOW.date())))
    return out


async def largest(exports: ExportService, actors: dict[str, Actor]) -> tuple[str, WidgetRequest, list[str]]:
    found: list[tuple[int, int, str, WidgetRequest]] = []
    lines = []
    for who, request in requests():
        try:
            csv_file = await exports.widget(actors[who], request, "csv", now=NOW)
            pdf_file = await exports.widget(actors[who], request, "pdf", now=NOW)
        except DomainError as exc:  # a widget with nothing to export, or needing one class: reported, not fatal
            lines.append(f"  {request.widget:<20} {who.split('@')[0]:<12} not exported: {str(exc)[:60]}")
            continue
        found.append((csv_file.rows or 0, pdf_file.size_bytes, who, request))
        lines.append(f"  {request.widget:<20} {who.split('@')[0]:<12} {csv_file.rows or 0:>5} rows  PDF "
                     f"{pdf_file.size_bytes / 1024:>6.1f} KB")
    _rows, _size, who, request = max(found, key=lambda f: (f[0], f[1]))
    return who, request, lines


async def measure(url: str, runs: int) -> None:
    engine = make_engine(url, pool_size=2)
    sessions = make_sessionmaker(engine)
    widgets = WidgetService(sessions)
    # links valid for a day from the demo's clock (the exports are dated on the term's last day)
    links = ExportLinks(SECRET, timedelta(hours=24), "http://127.0.0.1:3978", clock=lambda: datetime.now(TZ))
    # the bench times making the files: a large export's confirmation is the user's press on a card, not timed here
    exports = ExportService(sessions, widgets, links, confirm_students=1_000_000)
    identity = IdentityService(sessions)
    actors: dict[str, Actor] = {}
    for email in (ADMIN, TEACHER, DRIVERS_ED):
        actor = await identity.by_email(email)
        assert actor is not None, email
        actors[email] = actor

    print("exported rows per widget (CSV), and the PDF's size:")
    who, request, lines = await largest(exports, actors)
    print("\n".join(lines))
    actor = actors[who]
    print(f"largest widget: {request.widget} ({who.split('@')[0]}, {request.class_text or 'all their students'})\n")

    async def run_widget(full: bool) -> WidgetResult:
        return await widgets.run(actor, request.widget, now=NOW, class_text=request.class_text, full_tables=full)

    results: dict[str, tuple[float, float]] = {}
    sizes: dict[str, int] = {}
    for fmt in ("pdf", "csv", "xlsx"):
        p50, p95, ready = await timed(lambda fmt=fmt: exports.widget(actor, request, fmt, now=NOW), runs)  # type: ignore[misc]
        results[f"widget {fmt} export"] = (p50, p95)
        file = await exports.open(ready.token)
        assert file is not None and len(file.data) == ready.size_bytes
        sizes[fmt] = ready.size_bytes
        if fmt == "pdf":
            pages = len(PdfReader(io.BytesIO(file.data)).pages)
    p50, p95, card_result = await timed(lambda: run_widget(False), runs)
    card = widget_card(card_result)
    p50c, p95c, _ = await sync_timed(lambda: widget_card(card_result), runs)
    results["widget card (run + render)"] = (p50 + p50c, p95 + p95c)
    sizes["card"] = card_bytes(card)

    full = await run_widget(True)
    provenance = Provenance(actor.display_name, NOW, "A-0")
    table = full.table
    assert table is not None
    export_table = ExportTable(full.title, table.columns, table.rows, (("Scope", full.scope),))
    for name, render in (("pdf", lambda: widget_pdf(full, provenance)), ("csv", lambda: csv_bytes(export_table)),
                         ("xlsx", lambda: xlsx_bytes(export_table))):
        p50, p95, _ = await sync_timed(render, runs)
        results[f"widget {name} render only"] = (p50, p95)

    admin = actors[ADMIN]
    async with sessions() as s:
        incident_id = await s.scalar(select(Incident.id).where(Incident.school_id == admin.school_id)
                                     .order_by(func.length(Incident.description).desc(), Incident.id).limit(1))
        record = await load_incident(s, admin, int(incident_id or 0))
    assert incident_id is not None and record is not None
    p50, p95, ready = await timed(lambda: exports.incident_report(admin, incident_id, now=NOW), runs)
    results["incident pdf export"] = (p50, p95)
    sizes["incident"] = ready.size_bytes
    incident_file = await exports.open(ready.token)
    assert incident_file is not None
    incident_pages = len(PdfReader(io.BytesIO(incident_file.data)).pages)
    p50, p95, _ = await sync_timed(lambda: incident_pdf(record, provenance), runs)
    results["incident pdf render only"] = (p50, p95)
    await engine.dispose()

    csv95 = results["widget csv export"][1]
    card95 = results["widget card (run + render)"][1]
    print(f"{'case':<28} {'p50 ms':>8} {'p95 ms':>8} {'÷ CSV export p95':>17} {'÷ card p95':>11}")
    for name, (p50, p95) in results.items():
        print(f"{name:<28} {p50:>8.1f} {p95:>8.1f} {p95 / csv95:>17.2f} {p95 / card95:>11.2f}")
    print(f"\nfile sizes: widget PDF {sizes['pdf'] / 1024:.1f} KB ({pages} page{'s' * (pages != 1)}), CSV "
          f"{sizes['csv'] / 1024:.1f} KB, XLSX {sizes['xlsx'] / 1024:.1f} KB ({len(table.rows)} rows); chat card "
          f"{sizes['card'] / 1024:.1f} KB; incident report #{incident_id} PDF {sizes['incident'] / 1024:.1f} KB "
          f"({incident_pages} page{'s' * (incident_pages != 1)}, "
          f"{sum(map(len, record.texts.values()))} characters of text)")
    print(f"fonts: {'DejaVu Sans embedded (subset)' if FONT_DIR else 'Helvetica core font (DejaVu not installed)'}")
    print(f"{runs} runs after {WARMUPS} warm-ups each; export = service call end to end (scope, SQL, render, stored "
          "file, audit rows, commit, signed link); ratio = that case's p95 / the peer's p95 in this run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="faraday-bench-exports-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg", database="bench_exports")
        url = server.start()
        try:
            migrate.upgrade(url)
            asyncio.run(_seed(url))
            print(f"demo district ready in {time.perf_counter() - started:.1f} s\n", flush=True)
            asyncio.run(measure(url, args.runs))
        finally:
            server.stop()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


async def _seed(url: str) -> None:
    engine = make_engine(url, pool_size=2)
    await seed_demo(make_sessionmaker(engine))
    await engine.dispose()


if __name__ == "__main__":
    main()
