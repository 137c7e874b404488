"""The filtered vector search as it was before migration 0019_h22: the peer of ``bench.retrieval``'s HNSW column.

``.venv/bin/python -m bench.retrieval_filters [--queries 132] [--repeats 3]`` runs ``bench.retrieval`` at 100k chunks
without the stress rows; every filter row then shows the exact scan, this path (``before``) and today's path, timed
query by query in the same run (``bench/notes/retrieval_filters.md``).

Before 0019_h22 the filters lived only on the joined documents table: the one HNSW index per model was walked over
every chunk, each candidate joined to its document and most of them thrown away (ef_search 200 divided by the
share of documents passing, up to 1000; relaxed-order iterative scans; a filter passing under 1% of the documents,
or an index scan that gave up short of ``k``, answered by the exact scan). The SQL below is that release's, verbatim
but for the function names; it runs against today's schema (the model's index of all chunks is unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.chunk_sql import Filters, vector_literal
from knowledge.hnsw_indexes import model_literal

EF_SEARCH, EF_SEARCH_MAX, MIN_SHARE = 200, 1000, 0.01
_GRADE_LOW = "(CASE WHEN split_part(d.grade_band, '-', 1) = 'K' THEN 0 ELSE split_part(d.grade_band, '-', 1)::int END)"
_GRADE_HIGH_PART = "COALESCE(NULLIF(split_part(d.grade_band, '-', 2), ''), split_part(d.grade_band, '-', 1))"
_GRADE_HIGH = f"(CASE WHEN {_GRADE_HIGH_PART} = 'K' THEN 0 ELSE {_GRADE_HIGH_PART}::int END)"
_COLUMNS = ("c.id, c.section, c.role, c.content, d.slug, d.title, d.kind, d.version, d.audience, d.grade_band, "
            "c.page_start, c.page_end")


def _document_clauses(filters: Filters, params: dict[str, Any]) -> list[str]:
    clauses = []
    if filters.kind:
        clauses.append("d.kind = :kind")
        params["kind"] = filters.kind
    if filters.grade_low is not None and filters.grade_high is not None:
        clauses.append(f"{_GRADE_LOW} <= :grade_high AND {_GRADE_HIGH} >= :grade_low")
        params.update(grade_low=filters.grade_low, grade_high=filters.grade_high)
    if filters.audience:
        clauses.append("d.audience IN (:audience, 'all-staff')")
        params["audience"] = filters.audience
    return clauses


async def _settings(session: AsyncSession, filters: Filters, k: int) -> float:
    base = max(EF_SEARCH, 2 * k)
    params: dict[str, Any] = {"base": base, "cap": max(EF_SEARCH_MAX, base)}
    passing = _document_clauses(filters, params)
    share = (f"(SELECT count(*) FILTER (WHERE {' AND '.join(passing)})::float8 / greatest(count(*), 1) "  # noqa: S608
             "FROM knowledge_documents d WHERE d.approved)") if passing else "1.0::float8"
    sql = ("SELECT s.share, set_config('hnsw.iterative_scan', 'relaxed_order', true), "  # noqa: S608
           "set_config('hnsw.ef_search', least(:cap, ceil(:base / greatest(s.share, 1e-9)))::int::text, true) "
           f"FROM (SELECT {share} AS share) AS s")
    return float((await session.execute(text(sql), params)).scalar_one())


def _sql(query: Sequence[float], model: str, dim: int, filters: Filters, k: int, *, hnsw: bool,
         ) -> tuple[Any, dict[str, Any]]:
    params: dict[str, Any] = {"q": vector_literal(query), "model": model, "dim": dim, "k": k}
    where = " AND ".join(["d.approved", "c.embedding_model = :model", "c.embedding_dim = :dim",
                          *_document_clauses(filters, params)])
    if hnsw:
        distance = f"(c.embedding::vector({int(dim)})) <#> CAST(:q AS vector({int(dim)}))"
        where += f" AND c.embedding_model = {model_literal(model)}"
    else:
        distance = "c.embedding <#> CAST(:q AS vector)"
    sql = (f"SELECT * FROM (SELECT {_COLUMNS}, -({distance}) AS similarity "  # noqa: S608
           f"FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id "
           f"WHERE {where} ORDER BY {distance} LIMIT :k) AS ranked ORDER BY similarity DESC")
    return text(sql), params


async def before_search(session: AsyncSession, query: Sequence[float], model: str, dim: int, filters: Filters,
                        k: int) -> list[Any]:
    """The HNSW search of the release before 0019_h22 (``knowledge.store.vector_search(..., hnsw=True)`` then)."""
    share = await _settings(session, filters, k)
    if share <= 0.0:
        return []
    if share >= MIN_SHARE:
        rows = list(await session.execute(*_sql(query, model, dim, filters, k, hnsw=True)))
        if len(rows) >= k:
            return rows
    return list(await session.execute(*_sql(query, model, dim, filters, k, hnsw=False)))


def main() -> None:
    import sys

    from bench import retrieval

    sys.argv = [sys.argv[0], "--sizes", "100000", "--no-stress", "--before", *sys.argv[1:]]
    retrieval.main()


if __name__ == "__main__":
    main()
