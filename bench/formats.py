"""Retrieval quality per file format: the bundled corpus ingested as markdown, as PDF and as Word (rendered by
``bench.documents``, read back by ``knowledge.parsers`` with the markdown's metadata), each into its own scratch
database, and the labelled set (tests/knowledge_data/retrieval_set.json) run through the shipped retriever.

    python -m bench.formats [--json]

Prints recall@5, hit@5 and MRR@10 per format, and how many labelled section ids each format's chunks contain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from bench.documents import corpus_documents, render_docx, render_pdf, sections_of
from knowledge import CORPUS_DIR
from knowledge.documents import Document, document_from_parsed
from knowledge.evaluate import load_questions, report_rows
from knowledge.parsers import parse_file

FORMATS = ("markdown", "pdf", "docx")


def documents_as(fmt: str) -> list[Document]:
    markdown = corpus_documents(CORPUS_DIR)
    if fmt == "markdown":
        return markdown
    render = render_pdf if fmt == "pdf" else render_docx
    out = []
    for doc in markdown:
        parsed = parse_file(f"{doc.slug}.{fmt}", render(doc.title, sections_of(doc)))
        fields = {"title": doc.title, "kind": doc.kind, "audience": doc.audience, "grade_band": doc.grade_band,
                  "version": doc.version, "reviewed_by": doc.reviewed_by, "reviewed_on": doc.reviewed_on.isoformat()}
        out.append(document_from_parsed(parsed, doc.slug, fields, doc.content_hash))
    return out


async def _observe(url: str, documents: list[Document], embedder: Any) -> list[Any]:
    from domain.db import make_engine, make_sessionmaker
    from knowledge.evaluate import observe
    from knowledge.ingest import ingest_documents
    from knowledge.retriever import Retriever

    engine = make_engine(url, pool_size=2)
    try:
        sessions = make_sessionmaker(engine)
        report = await ingest_documents(sessions, embedder, documents)
        assert not report.errors, report.errors
        return await observe(Retriever(sessions, embedder), load_questions())
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.formats", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from knowledge.embedders import MiniLMEmbedder
    from knowledge.evaluation_run import scratch_databases

    started = time.perf_counter()
    embedder = MiniLMEmbedder()
    server, urls = scratch_databases([f"kb_{f}" for f in FORMATS])
    observed: dict[str, Any] = {}
    try:
        for fmt in FORMATS:
            observed[fmt] = asyncio.run(_observe(urls[f"kb_{fmt}"], documents_as(fmt), embedder))
    finally:
        server.stop()
    rows = report_rows({fmt: (observed[fmt], "fused") for fmt in FORMATS})
    result = {"formats": rows, "seconds": round(time.perf_counter() - started, 1)}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"{'format':10} {'recall@5':>9} {'hit@5':>7} {'MRR@10':>7}")
        for row in rows:
            a = row["all"]
            print(f"{row['arm']:10} {a['recall@5']:9.3f} {a['hit@5']:7.3f} {a['mrr@10']:7.3f}")
        print(f"({result['seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
