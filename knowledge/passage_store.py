"""Knowledge SQL for passages (sentence-level vectors per chunk), corpus lexeme frequencies, and the passage-aware
vector search. Every value is a bound parameter; the only text put into SQL is fixed fragments from ``store``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.chunk_sql import CHUNK_COLUMNS, Filters, filter_where, vector_literal


async def write_passages(
    session: AsyncSession, chunk_passages: Mapping[str, Sequence[str]], vectors: Sequence[Sequence[float]],
    model: str, dim: int,
) -> None:
    """Replace the passages of the given chunks; ``vectors`` are in the order of the flattened passages."""
    if not chunk_passages:
        return
    await session.execute(text("DELETE FROM knowledge_passages WHERE chunk_id = ANY(:ids)"),
                          {"ids": list(chunk_passages)})
    rows = [(cid, i, p) for cid, ps in chunk_passages.items() for i, p in enumerate(ps)]
    if not rows:
        return
    await session.execute(
        text(
            "INSERT INTO knowledge_passages (chunk_id, ordinal, content, embedding_model, embedding_dim, embedding) "
            "VALUES (:chunk, :ordinal, :content, :model, :dim, CAST(:embedding AS vector))"
        ),
        [
            {"chunk": cid, "ordinal": i, "content": p, "model": model, "dim": dim, "embedding": vector_literal(v)}
            for (cid, i, p), v in zip(rows, vectors, strict=True)
        ],
    )


async def chunks_missing_passages(session: AsyncSession, document_id: int, model: str, dim: int) -> list[str]:
    """Chunks of the document with no passage of this model (e.g. stored before passages existed)."""
    rows = await session.execute(
        text(
            "SELECT c.id FROM knowledge_chunks c WHERE c.document_id = :doc AND NOT EXISTS ("
            "SELECT 1 FROM knowledge_passages p WHERE p.chunk_id = c.id AND p.embedding_model = :model "
            "AND p.embedding_dim = :dim)"
        ),
        {"doc": document_id, "model": model, "dim": dim},
    )
    return list(rows.scalars())


async def refresh_lexemes(session: AsyncSession) -> int:
    """Recompute each English lexeme's chunk frequency over the whole corpus (one statement, fixed SQL)."""
    await session.execute(text("DELETE FROM knowledge_lexemes"))
    await session.execute(
        text(
            "INSERT INTO knowledge_lexemes (lexeme, doc_freq) "
            "SELECT word, ndoc FROM ts_stat('SELECT tsv FROM knowledge_chunks')"
        )
    )
    return int((await session.execute(text("SELECT count(*) FROM knowledge_lexemes"))).scalar_one())


async def lexeme_support(session: AsyncSession, query_text: str) -> tuple[int, list[str]]:
    """(number of the query's English lexemes, those that occur in no chunk of the corpus)."""
    row = await session.execute(
        text(
            "SELECT cardinality(q.lex) AS n, ARRAY(SELECT l FROM unnest(q.lex) AS l WHERE NOT EXISTS "
            "(SELECT 1 FROM knowledge_lexemes k WHERE k.lexeme = l)) AS unknown "
            "FROM (SELECT tsvector_to_array(to_tsvector('english', :text)) AS lex) AS q"
        ),
        {"text": query_text},
    )
    r = row.one()
    return int(r.n or 0), list(r.unknown or [])


async def passage_vector_search(
    session: AsyncSession, queries: Sequence[Sequence[float]], model: str, dim: int, filters: Filters, k: int,
) -> list[Any]:
    """Exact top-k chunks by max over (query vectors × {the chunk, its passages}) of the inner product."""
    params: dict[str, Any] = {"model": model, "dim": dim, "k": k}
    sims_c, sims_p = [], []
    for i, vector in enumerate(queries[:2]):  # fixed parameter names, at most two query vectors
        params[f"q{i}"] = vector_literal(vector)
        sims_c.append(f"-(c.embedding <#> CAST(:q{i} AS vector))")
        sims_p.append(f"-(p.embedding <#> CAST(:q{i} AS vector))")
    where = filter_where(filters, params)
    sql = (
        f"WITH best AS (SELECT p.chunk_id, max(GREATEST({', '.join(sims_p)})) AS sim FROM knowledge_passages p "  # noqa: S608
        f"WHERE p.embedding_model = :model AND p.embedding_dim = :dim GROUP BY p.chunk_id) "
        f"SELECT {CHUNK_COLUMNS}, GREATEST({', '.join(sims_c)}, COALESCE(best.sim, -1)) AS similarity "
        f"FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id "
        f"LEFT JOIN best ON best.chunk_id = c.id WHERE {where} ORDER BY similarity DESC, c.id LIMIT :k"
    )
    return list(await session.execute(text(sql), params))


async def chunk_similarities(
    session: AsyncSession, queries: Sequence[Sequence[float]], model: str, dim: int, ids: Sequence[str],
    *, passages: bool = True,
) -> dict[str, float]:
    """Each given chunk's similarity as the vector arm scores it (max over query vectors × {the chunk, and with
    ``passages`` its passages}), for candidates only the full-text arm found. Chunks of another model are left out."""
    if not ids or not queries:
        return {}
    params: dict[str, Any] = {"model": model, "dim": dim, "ids": list(ids)}
    sims_c, sims_p = [], []
    for i, vector in enumerate(queries[:2]):  # fixed parameter names, at most two query vectors
        params[f"q{i}"] = vector_literal(vector)
        sims_c.append(f"-(c.embedding <#> CAST(:q{i} AS vector))")
        sims_p.append(f"-(p.embedding <#> CAST(:q{i} AS vector))")
    best_passage = (
        f"(SELECT max(GREATEST({', '.join(sims_p)})) FROM knowledge_passages p WHERE p.chunk_id = c.id "  # noqa: S608
        f"AND p.embedding_model = :model AND p.embedding_dim = :dim)"
        if passages else "NULL"
    )
    rows = await session.execute(
        text(
            f"SELECT c.id, GREATEST({', '.join(sims_c)}, COALESCE({best_passage}, -1)) AS similarity "  # noqa: S608
            f"FROM knowledge_chunks c WHERE c.id = ANY(:ids) AND c.embedding_model = :model AND c.embedding_dim = :dim"
        ),
        params,
    )
    return {r.id: float(r.similarity) for r in rows}
