"""``python -m bot roster ...`` (the process edge of ``domain.roster``): import a CSV export, sync from Microsoft
Graph, show the last import, set staff roles from a CSV (``roles``).

Exit 0 when applied (or, with --dry-run, when it would apply), 2 when the input is invalid (nothing written).
With --json, stdout carries only the JSON report; progress goes to stderr."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from domain.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="roster_command", required=True)
    imp = sub.add_parser("import", help="import a OneRoster / SDS CSV export (folder or .zip)")
    imp.add_argument("path", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    imp.add_argument("--all-classes", action="store_true", help="every class, not only PE classes")
    imp.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    graph = sub.add_parser("sync-graph", help="sync from the Microsoft Graph education API")
    graph.add_argument("--dry-run", action="store_true")
    graph.add_argument("--all-classes", action="store_true")
    graph.add_argument("--json", action="store_true")
    sub.add_parser("status", help="the last import or sync")
    roles = sub.add_parser("roles", help="set staff roles from a CSV (columns email or upn, role)")
    roles.add_argument("file", type=Path)
    roles.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    roles.add_argument("--json", action="store_true", help="print the report as JSON on stdout")


def run(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from domain.db import make_engine, make_sessionmaker
    from domain.roster import service

    engine = make_engine(settings.database_url, pool_size=2)
    sessions = make_sessionmaker(engine)
    bars: dict[str, Any] = {}
    try:
        if args.roster_command == "status":
            last = await service.last_import(sessions)
            print("No roster import yet." if last is None else
                  f"Last roster import {last.at:%Y-%m-%d %H:%M %Z}: {last.format} from {last.source}; scope: "
                  f"{last.scope}\n{json.dumps(last.counts, indent=2)}")
            return 0
        if args.roster_command == "roles":
            from domain.roster.roles import apply_roles

            roles = await apply_roles(sessions, args.file, dry_run=args.dry_run, upn_domain=settings.roster_upn_domain)
            print(json.dumps(roles.as_json(), indent=2) if args.json else roles.as_text())
            return 2 if roles.errors else 0
        progress = _progress_bars(bars)
        if args.roster_command == "import":
            report = await service.import_roster(sessions, settings, args.path, dry_run=args.dry_run,
                                                 all_classes=args.all_classes, progress=progress)
        else:
            report = await service.sync_graph(sessions, settings, dry_run=args.dry_run,
                                              all_classes=args.all_classes, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
        await engine.dispose()
    if args.json:
        print(f"scope: {report.scope}", file=sys.stderr)
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(report.as_text())
    return 2 if report.errors else 0


def _progress_bars(bars: dict[str, Any]):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    def progress(step: str, done: int, total: int) -> None:
        bar = bars.get(step) or bars.setdefault(step, tqdm(total=total, desc=f"roster {step}", file=sys.stderr,
                                                           leave=False))
        bar.total = total
        bar.n = done
        bar.refresh()

    return progress
