"""``python -m manifest build [--bot-id ID] [--out DIR] [--app-id GUID] [--version X.Y.Z]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from manifest.package import MISSING_BOT_ID, ManifestError, build_package
from manifest.validation import REPO_ROOT, SchemaNotFoundError

DEFAULT_OUT = REPO_ROOT / "dist"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m manifest", description="Faraday's Teams app package.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="render, validate and zip the Teams app package")
    build.add_argument("--bot-id", help="Azure Bot app id (default: MICROSOFT_APP_ID from settings)")
    build.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})")
    build.add_argument("--app-id", help="Teams app GUID (default: a deterministic uuid5 of the bot id)")
    build.add_argument("--version", help="app version MAJOR.MINOR.PATCH (default: the template's)")
    return parser


def _settings_bot_id() -> str:
    from domain.settings import Settings

    return Settings().microsoft_app_id


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    bot_id = (args.bot_id if args.bot_id is not None else _settings_bot_id()).strip()
    if not bot_id:
        print(f"error: {MISSING_BOT_ID}", file=sys.stderr)
        return 2
    try:
        package = build_package(bot_id, args.out, app_id=args.app_id, version=args.version)
    except (ManifestError, SchemaNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(package)
    return 0


if __name__ == "__main__":
    sys.exit(main())
