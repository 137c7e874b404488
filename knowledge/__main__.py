"""``python -m knowledge ingest [PATH] | search "query" [--kind K] [--k N] [--json] | evaluate [--json] |
sync-sharepoint [SITE FOLDER] [--json]``.

The database comes from ``DATABASE_URL``; when it is empty the embedded PostgreSQL under ``data_dir`` is started
(and migrated), as the bot does. The embedder is OpenAI's when ``OPENAI_API_KEY`` is set, else local MiniLM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from domain.settings import Settings
from knowledge import CORPUS_DIR

if TYPE_CHECKING:
    from knowledge.embedders import Embedder

CORPUS = CORPUS_DIR


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The configured database URL, or an embedded server's (started, migrated, and stopped at exit if this command
    started it; one that was already running, e.g. scripts/run's, is left running)."""
    from domain import migrate

    if settings.database_url:
        yield settings.database_url
        return
    from devtools.embedded_servers import EmbeddedPostgres

    server = EmbeddedPostgres(settings.data_dir / "postgres")
    url = server.start()
    try:
        migrate.upgrade(url)
        yield url
    finally:
        server.stop()


def _embedder(settings: Settings) -> Embedder:
    from knowledge.embedders import make_embedder

    return make_embedder(settings.openai_api_key.get_secret_value(), settings.openai_base_url)


def _bundled(path: Path) -> bool:
    """Whether ``path`` is (inside) the bundled corpus, which ships with the code and keeps no originals."""
    return path.resolve().is_relative_to(CORPUS.resolve())


async def _ingest(url: str, settings: Settings, root: Path, overrides: dict[str, str]) -> int:
    from tqdm import tqdm

    from domain.db import make_engine, make_sessionmaker
    from knowledge.documents import corpus_files
    from knowledge.embedders import close_embedder
    from knowledge.ingest import ingest

    engine = make_engine(url, pool_size=2)
    embedder = _embedder(settings)
    try:
        with tqdm(total=len(corpus_files(root)), unit="doc", desc="ingest") as bar:
            report = await ingest(make_sessionmaker(engine), embedder, root, lambda _slug: bar.update(1),
                                  overrides=overrides, keep_originals=not _bundled(root))
    finally:
        await close_embedder(embedder)
        await engine.dispose()
    print(report)
    return 1 if report.errors else 0


async def _search(url: str, settings: Settings, args: argparse.Namespace) -> int:
    from domain.db import make_engine, make_sessionmaker
    from knowledge.embedders import close_embedder
    from knowledge.retriever import Retriever
    from knowledge.store import count_chunks

    engine = make_engine(url, pool_size=2)
    embedder = _embedder(settings)
    try:
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            stored = await count_chunks(session, embedder.name, embedder.dim)
        if not stored:
            print(f"The knowledge base is empty (nothing ingested with {embedder.name}). Fill it with:\n"
                  "  python -m knowledge ingest          (the district corpus in knowledge/corpus)\n"
                  "  python -m knowledge ingest PATH     (your own markdown documents)", file=sys.stderr)
            return 1
        hits = await Retriever(sessions, embedder).search(
            args.query, kind=args.kind, grade_band=args.grade_band, audience=args.audience, k=args.k
        )
    finally:
        await close_embedder(embedder)
        await engine.dispose()
    if args.json:
        fields = ("chunk_id", "title", "section", "score", "snippet", "kind", "version", "similarity")
        print(json.dumps({"query": args.query, "hits": [{f: asdict(h)[f] for f in fields} for h in hits]}, indent=1))
    elif not hits:
        print("No relevant district document.")
    for rank, hit in enumerate(hits if not args.json else [], start=1):
        print(f"{rank}. [{hit.score:.4f}] {hit.chunk_id}\n   {hit.title} — {hit.section} (v{hit.version})\n"
              f"   {hit.snippet}")
    return 0


async def _sync_sharepoint(url: str, settings: Settings, args: argparse.Namespace, overrides: dict[str, str]) -> int:
    from domain.db import make_engine, make_sessionmaker
    from domain.errors import DomainError
    from domain.graph_client import GraphClient, graph_config
    from knowledge.embedders import close_embedder
    from knowledge.parsers import Limits
    from knowledge.sharepoint import PERMISSION, SharePointSync

    if not settings.graph_configured:
        print("Graph is not configured: set MS_TENANT_ID, MS_CLIENT_ID and a secret or certificate (application "
              "permission Sites.Selected, with read access granted on the site)", file=sys.stderr)
        return 2
    engine = make_engine(url, pool_size=3)
    embedder = _embedder(settings)
    graph = GraphClient(graph_config(settings), permission=PERMISSION)
    limits = Limits(max_bytes=settings.knowledge_upload_max_mb * 1024 * 1024,
                    max_pages=settings.knowledge_upload_max_pages)
    try:
        sync = SharePointSync(make_sessionmaker(engine), embedder, graph, limits=limits,
                              parse_timeout_s=settings.knowledge_parse_timeout_s)
        if args.site:
            folder_id = await sync.approve(args.site, args.folder, overrides=overrides)
            reports = [await sync.sync(folder_id)]
        else:
            reports = await sync.sync_all()
            if not reports:
                print("No SharePoint folder is approved yet: python -m knowledge sync-sharepoint SITE FOLDER "
                      "(e.g. contoso.sharepoint.com/sites/PE \"Safety Protocols\")", file=sys.stderr)
                return 1
    except DomainError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        await graph.close()
        await close_embedder(embedder)
        await engine.dispose()
    if args.json:
        print(json.dumps([r.as_dict() for r in reports], indent=1))
    else:
        print("\n".join(str(r) for r in reports))
    return 1 if any(r.errors or r.failed for r in reports) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser(
        "ingest", help="ingest a file or folder of PDF, Word (.docx), markdown or text documents (default: the "
        "bundled corpus); files without front matter get guessed metadata, or the options below")
    ingest.add_argument("path", nargs="?", type=Path, default=CORPUS)
    ingest.add_argument("--kind", choices=("safety", "curriculum", "policy"))
    ingest.add_argument("--audience", help="e.g. all-staff, pe-teachers, coaches, nurses")
    ingest.add_argument("--grade-band", help="e.g. K-12, 6-8 or 7")
    ingest.add_argument("--version", help="e.g. 1.2")
    ingest.add_argument("--reviewed-by")
    ingest.add_argument("--reviewed-on", help="YYYY-MM-DD")
    search = commands.add_parser("search", help="hybrid search over ingested chunks")
    search.add_argument("query")
    search.add_argument("--kind", choices=("safety", "curriculum", "policy"))
    search.add_argument("--grade-band", help="e.g. K-2, 6-8 or 7")
    search.add_argument("--audience", help="e.g. coaches, nurses, pe-teachers")
    search.add_argument("--k", type=int, default=5)
    search.add_argument("--json", action="store_true")
    sharepoint = commands.add_parser(
        "sync-sharepoint", help="approve a SharePoint document library folder (SITE FOLDER) and sync it, or sync "
        "every approved folder: new and changed files are read and ingested, deleted ones retired (Graph delta)")
    sharepoint.add_argument("site", nargs="?", help="e.g. contoso.sharepoint.com/sites/PE")
    sharepoint.add_argument("folder", nargs="?", default="", help="inside the site's library, e.g. Safety/Protocols")
    sharepoint.add_argument("--kind", choices=("safety", "curriculum", "policy"),
                            help="for every file of the folder (default: guessed from each file)")
    sharepoint.add_argument("--audience", help="e.g. all-staff (default: guessed)")
    sharepoint.add_argument("--grade-band", help="e.g. K-12 (default: guessed)")
    sharepoint.add_argument("--json", action="store_true")
    evaluate = commands.add_parser("evaluate", help="recall@5 / MRR@10 per arm and abstention on the labelled set")
    evaluate.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    settings = Settings()
    if args.command == "evaluate":
        from knowledge.evaluation_run import run

        return run(settings, as_json=args.json)
    with database(settings) as url:
        if args.command == "ingest":
            keys = ("kind", "audience", "grade_band", "version", "reviewed_by", "reviewed_on")
            overrides = {k: getattr(args, k) for k in keys if getattr(args, k)}
            return asyncio.run(_ingest(url, settings, args.path, overrides))
        if args.command == "sync-sharepoint":
            overrides = {k: getattr(args, k) for k in ("kind", "audience", "grade_band") if getattr(args, k)}
            return asyncio.run(_sync_sharepoint(url, settings, args, overrides))
        return asyncio.run(_search(url, settings, args))


if __name__ == "__main__":
    sys.exit(main())
