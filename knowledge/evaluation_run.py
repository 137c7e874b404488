"""``python -m knowledge evaluate``: ingest the corpus twice (with and without title prefixes) into scratch databases
on a throwaway embedded PostgreSQL, run the labelled set (calibration / validation splits) through every arm, the
test set through the shipped arm, and print the table."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from domain.settings import Settings
from knowledge import CORPUS_DIR
from knowledge.evaluate import (
    LABELLED,
    TEST_SET,
    Observed,
    abstention,
    calibrate,
    load_questions,
    quality,
    report_rows,
    split,
)
from knowledge.retriever import RetrievalConfig, Retriever

CORPUS = CORPUS_DIR



async def observe_corpus(url: str, *, title_prefix: bool, use_kind: bool = False,
                         config: RetrievalConfig | None = None, questions: Path | None = None) -> list[Observed]:
    from domain.db import make_engine, make_sessionmaker
    from knowledge.embedders import MiniLMEmbedder
    from knowledge.evaluate import observe
    from knowledge.ingest import ingest

    engine = make_engine(url, pool_size=2)
    try:
        sessions = make_sessionmaker(engine)
        embedder = MiniLMEmbedder()
        await ingest(sessions, embedder, CORPUS, title_prefix=title_prefix)
        return await observe(Retriever(sessions, embedder, config), load_questions(questions or LABELLED),
                             use_kind=use_kind)
    finally:
        await engine.dispose()


def scratch_databases(names: list[str]) -> tuple[Any, dict[str, str]]:
    """A throwaway embedded server with one migrated database per name (caller stops the server)."""
    from devtools.embedded_servers import EmbeddedPostgres
    from domain import migrate

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="faraday-eval-")) / "pg", database=names[0])
    server.start()
    urls = {}
    for name in names:
        if name != names[0]:
            server.psql(f"CREATE DATABASE {name}")
        urls[name] = server._server.get_uri(name)
        migrate.upgrade(urls[name])
    return server, urls


def run(settings: Settings, *, as_json: bool = False) -> int:
    started = time.perf_counter()
    server, urls = scratch_databases(["kb_prefix", "kb_plain"])
    previous = replace(RetrievalConfig(), passages=False, glossary=False, text_weight=0.5, rerank=False)
    rrf60 = replace(RetrievalConfig(), rrf_k=60, vector_weight=1.0, text_weight=1.0)
    rrf10 = replace(RetrievalConfig(), rerank=False)  # the fusion the second stage replaced
    try:
        prefixed = asyncio.run(observe_corpus(urls["kb_prefix"], title_prefix=True))
        plain = asyncio.run(observe_corpus(urls["kb_plain"], title_prefix=False))
        prefixed_kind = asyncio.run(observe_corpus(urls["kb_prefix"], title_prefix=True, use_kind=True))
        before = asyncio.run(observe_corpus(urls["kb_prefix"], title_prefix=True, config=previous))
        before_plain = asyncio.run(observe_corpus(urls["kb_plain"], title_prefix=False, config=previous))
        test = asyncio.run(observe_corpus(urls["kb_prefix"], title_prefix=True, questions=TEST_SET))
    finally:
        server.stop()
    rows = report_rows({
        "before: vector only (no prefix)": (before_plain, "vector"),
        "before: full-text only (no prefix)": (before_plain, "text"),
        "before: RRF k=60 (no prefix)": (before_plain, rrf60),
        "before: RRF k=60 + title prefix": (before, rrf60),
        "before: shipped (k=10, 1:0.5)": (before, "fused"),
        "vector only (no prefix)": (plain, "vector"),
        "full-text only (no prefix)": (plain, "text"),
        "RRF k=60 (no prefix)": (plain, rrf60),
        "RRF k=60 + title prefix": (prefixed, rrf60),
        "vector only (prefix)": (prefixed, "vector"),
        "full-text only (prefix)": (prefixed, "text"),
        "RRF k=10 1:0.2 + prefix": (prefixed, rrf10),
        "+ second stage (rerank) [shipped]": (prefixed, "fused"),
        "shipped + kind filter": (prefixed_kind, "fused"),
    })
    shipped = Retriever(None, None)  # type: ignore[arg-type]  # only thresholds are used
    calibration, validation = split(prefixed)
    calibrated = calibrate(calibration, shipped)
    tuned = Retriever(None, None, replace(RetrievalConfig(), min_similarity=calibrated["min_similarity"],  # type: ignore[arg-type]
                                          confident_similarity=calibrated["confident_similarity"],
                                          min_coverage=calibrated["min_coverage"],
                                          max_unknown=calibrated["max_unknown"]))
    result = {
        "arms": rows,
        "test_shipped": quality(test, "fused"),
        "abstention_shipped": {"all labelled": abstention(prefixed, shipped),
                               "calibration": abstention(calibration, shipped),
                               "validation": abstention(validation, shipped), "test": abstention(test, shipped)},
        "calibrated_on_calibration": calibrated,
        "abstention_calibrated_validation": abstention(validation, tuned),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, indent=1) if as_json else _table(result))
    return 0


def _table(result: dict[str, Any]) -> str:
    lines = [f"{'arm':36} {'recall@5':>9} {'hit@5':>7} {'MRR@10':>7}   {'recall@5 cal/val':>18}  MRR cal/val"]
    for row in result["arms"]:
        a, e, o = row["all"], row["calibration"], row["validation"]
        lines.append(f"{row['arm']:36} {a['recall@5']:9.3f} {a['hit@5']:7.3f} {a['mrr@10']:7.3f}   "
                     f"{e['recall@5']:8.3f} / {o['recall@5']:.3f}   {e['mrr@10']:.3f} / {o['mrr@10']:.3f}")
    t = result["test_shipped"]
    lines.append(f"{'test set, shipped':36} {t['recall@5']:9.3f} {t['hit@5']:7.3f} {t['mrr@10']:7.3f}")
    lines.append("")
    for split_name, stats in result["abstention_shipped"].items():
        lines.append(f"abstention (shipped thresholds, {split_name}): correct {stats['correct_abstention']:.2f} "
                     f"of {stats['unanswerable']} unanswerable, false {stats['false_abstention']:.3f} "
                     f"of {stats['answerable']} answerable")
    c = result["calibrated_on_calibration"]
    h = result["abstention_calibrated_validation"]
    lines.append(f"calibrated on the calibration split: min_similarity {c['min_similarity']}, "
                 f"confident {c['confident_similarity']}, "
                 f"min_coverage {c['min_coverage']}, max_unknown {c['max_unknown']} "
                 f"→ validation correct {h['correct_abstention']:.2f}, "
                 f"false {h['false_abstention']:.3f}")
    lines.append(f"({result['seconds']} s)")
    return "\n".join(lines)
