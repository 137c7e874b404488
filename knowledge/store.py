"""The knowledge search SQL: the two ranked searches (vector, over the HNSW index of the filters' scope or the exact
scan; full text) and the reads of approved documents the retriever needs (a document's sections, what the documents
say they cover, how many chunks a model has). Documents and chunks are written by ``knowledge.document_store``; the
HNSW indexes are built by ``knowledge.hnsw_indexes``.

Every value from a user or a file is a bound parameter. The only text put into SQL is the embedding dimension (an int)
and the model name (checked by ``hnsw_indexes.model_literal``): a partial index is only usable when the query repeats
its predicate literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.chunk_sql import CHUNK_COLUMNS, filter_where, vector_literal
from knowledge.chunk_sql import Filters as Filters  # re-exported: the retriever builds store.Filters
from knowledge.hnsw_indexes import model_literal, scope_for

# The per-query search width, measured with ``bench.retrieval`` (see ``knowledge.hnsw_indexes`` for the build
# parameters): ef_search=200 reaches recall@5 ~0.99 against the exact scan.
HNSW_EF_SEARCH = 200  # at least 2k
# A filter's scope graph holds a few topics' chunks packed close together (one kind, one school band): at 100k
# chunks, ef 200 reached recall@5 0.974 (curriculum 3-5) and 0.983 (nurses); 300 reached 0.992 and 0.991, 400 0.995.
HNSW_EF_SEARCH_FILTERED = 300
HNSW_MAX_SCAN_TUPLES = 20_000  # an iterative scan whose post-filter starves gives up here; the exact scan answers
# A filter passing fewer approved chunks than this is answered by the exact scan over those chunks only (found through
# the B-tree indexes on the chunk's filter fields; a few milliseconds), with recall 1.
EXACT_BELOW = 2_000


@dataclass(frozen=True, slots=True)
class StoredSection:
    chunk_id: str
    title: str
    section: str
    role: str
    content: str  # with the "Document — Section" prefix
    kind: str
    version: str


async def document_sections(session: AsyncSession, slug: str, model: str, dim: int) -> list[StoredSection]:
    """Every chunk of one approved document (embedded with this model), in document order."""
    rows = await session.execute(
        text(
            "SELECT c.id, d.title, c.section, c.role, c.content, d.kind, d.version FROM knowledge_chunks c "
            "JOIN knowledge_documents d ON d.id = c.document_id WHERE d.slug = :slug AND d.approved "
            "AND c.embedding_model = :model AND c.embedding_dim = :dim ORDER BY c.ordinal"
        ),
        {"slug": slug, "model": model, "dim": dim},
    )
    return [StoredSection(r.id, r.title, r.section, r.role, r.content, r.kind, r.version) for r in rows]


async def document_scopes(session: AsyncSession, model: str, dim: int, kind: str | None = None) -> dict[str, str]:
    """What each approved document (of ``kind``, when given) says it covers, lower case, by slug: its title, section
    headings and opening section (where a procedure states its purpose)."""
    rows = await session.execute(
        text(
            "SELECT d.slug, d.title, c.section, c.content FROM knowledge_chunks c "
            "JOIN knowledge_documents d ON d.id = c.document_id WHERE d.approved AND c.embedding_model = :model "
            "AND c.embedding_dim = :dim AND (CAST(:kind AS text) IS NULL OR d.kind = :kind) ORDER BY d.slug, c.ordinal"
        ),
        {"model": model, "dim": dim, "kind": kind},
    )
    parts: dict[str, list[str]] = {}
    for r in rows:
        if r.slug not in parts:  # the document's first chunk: its title and opening section
            parts[r.slug] = [r.title, r.content]
        parts[r.slug].append(r.section)
    return {slug: "\n".join(p).lower() for slug, p in parts.items()}


async def count_chunks(session: AsyncSession, model: str, dim: int) -> int:
    row = await session.execute(
        text("SELECT count(*) FROM knowledge_chunks WHERE embedding_model = :model AND embedding_dim = :dim"),
        {"model": model, "dim": dim},
    )
    return int(row.scalar_one())


async def _hnsw_settings(session: AsyncSession, filters: Filters, k: int, model: str, dim: int) -> int | None:
    """One round trip: this transaction's HNSW scan settings and, with filters, how many approved chunks of the model
    pass them, counted up to ``EXACT_BELOW`` (an index-only scan of at most that many B-tree entries).

    Iterative scans (relaxed order; the caller re-sorts) keep going until ``k`` rows pass the filters the index scope
    does not express, up to ``HNSW_MAX_SCAN_TUPLES``. Returns None without filters.
    """
    width = HNSW_EF_SEARCH_FILTERED if filters.any else HNSW_EF_SEARCH
    params: dict[str, Any] = {"ef": str(max(width, 2 * k)), "tuples": str(HNSW_MAX_SCAN_TUPLES),
                              "model": model, "dim": dim, "n": EXACT_BELOW}
    count = "NULL::bigint"
    if filters.any:
        where = filter_where(filters, params)
        count = f"(SELECT count(*) FROM (SELECT 1 FROM knowledge_chunks c WHERE {where} LIMIT :n) s)"  # noqa: S608
    # Fixed SQL fragments; every value is a bound parameter.
    sql = (
        f"SELECT {count}, set_config('hnsw.iterative_scan', 'relaxed_order', true), "
        "set_config('hnsw.ef_search', :ef, true), set_config('hnsw.max_scan_tuples', :tuples, true)"
    )
    found: int | None = (await session.execute(text(sql), params)).scalar_one()
    return None if found is None else int(found)


async def vector_search(
    session: AsyncSession, query: Sequence[float], model: str, dim: int, filters: Filters, k: int, *, hnsw: bool,
) -> list[Any]:
    """Top-k by inner product (vectors are unit length: similarity = -(a <#> b)). Filters apply before ranking.

    ``hnsw=True`` ranks by the indexed expression ``embedding::vector(dim)`` in the filters' scope (``scope_for``:
    the partial index holding the chunks they pass) with iterative scans for the rest; the outer query restores exact
    order. A filter that no approved chunk passes returns nothing without searching; one that passes fewer than
    ``EXACT_BELOW`` chunks, or an index search that gave up with fewer than ``k`` rows (``hnsw.max_scan_tuples``), is
    answered by the exact scan, so HNSW never returns fewer rows than the exact scan would.
    """
    if hnsw:
        passing = await _hnsw_settings(session, filters, k, model, dim)
        if passing == 0:
            return []
        if passing is None or passing >= EXACT_BELOW:
            rows = list(await session.execute(*_vector_sql(query, model, dim, filters, k, hnsw=True)))
            if len(rows) >= k:
                return rows
    return list(await session.execute(*_vector_sql(query, model, dim, filters, k, hnsw=False)))


def _vector_sql(
    query: Sequence[float], model: str, dim: int, filters: Filters, k: int, *, hnsw: bool,
) -> tuple[Any, dict[str, Any]]:
    params: dict[str, Any] = {"q": vector_literal(query), "model": model, "dim": dim, "k": k}
    where = filter_where(filters, params)
    if hnsw:
        distance = f"(c.embedding::vector({int(dim)})) <#> CAST(:q AS vector({int(dim)}))"
        where += f" AND c.embedding_model = {model_literal(model)}"  # the partial indexes' predicates, literally
        scope = scope_for(filters)
        if scope is not None:
            where += " AND " + scope.predicate("c")
    else:
        distance = "c.embedding <#> CAST(:q AS vector)"
    # Fixed SQL fragments, the dimension as an int and the checked model name; values are bound parameters. The
    # chunks are ranked on their own columns; the k kept join their documents.
    sql = (
        "SELECT r.id, r.section, r.role, r.content, d.slug, d.title, d.kind, d.version, d.audience, "  # noqa: S608
        "d.grade_band, r.page_start, r.page_end, r.similarity FROM ("
        f"SELECT c.id, c.document_id, c.section, c.role, c.content, c.page_start, c.page_end, "
        f"-({distance}) AS similarity FROM knowledge_chunks c "
        f"WHERE {where} ORDER BY {distance} LIMIT :k) AS r "
        "JOIN knowledge_documents d ON d.id = r.document_id ORDER BY r.similarity DESC"
    )
    return text(sql), params


# OR of the query's English lexemes (a question rarely contains every word of a section, as websearch's AND needs).
_OR_QUERY = (
    "(SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery "
    "FROM unnest(tsvector_to_array(to_tsvector('english', :text))) AS lexeme)"
)
_WEB_QUERY = "websearch_to_tsquery('english', :text)"


async def text_search(
    session: AsyncSession, query_text: str, model: str, dim: int, filters: Filters, k: int, *, mode: str = "or",
) -> list[Any]:
    """Top-k by ``ts_rank_cd`` (cover density, normalised by log length) over chunks of the same embedding model."""
    params: dict[str, Any] = {"text": query_text, "model": model, "dim": dim, "k": k}
    where = filter_where(filters, params)
    tsquery = _OR_QUERY if mode == "or" else _WEB_QUERY
    # Interpolated: constant SQL fragments (CHUNK_COLUMNS, a tsquery constant) and filter_where's conditions; values
    # are binds.
    # Ranked first, on the index; the matched-lexeme count (coverage evidence) only for the k rows kept, with the
    # query's lexemes computed once (it was a subquery per matching row: ~3x the time with an OR query).
    sql = (
        f"WITH q AS (SELECT {tsquery} AS query, "  # noqa: S608
        f"tsvector_to_array(to_tsvector('english', :text)) AS lexemes), "
        f"top AS (SELECT c.id AS chunk, ts_rank_cd(c.tsv, q.query, 1) AS rank "
        f"FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id, q "
        f"WHERE c.tsv @@ q.query AND {where} ORDER BY rank DESC, c.id LIMIT :k) "
        f"SELECT {CHUNK_COLUMNS}, top.rank, cardinality(q.lexemes) AS query_lexemes, "
        f"(SELECT count(*) FROM unnest(tsvector_to_array(c.tsv)) AS lex WHERE lex = ANY(q.lexemes)) AS matched "
        f"FROM top JOIN knowledge_chunks c ON c.id = top.chunk JOIN knowledge_documents d ON d.id = c.document_id, q "
        f"ORDER BY top.rank DESC, c.id"
    )
    return list(await session.execute(text(sql), params))


async def query_lexemes(session: AsyncSession, query_text: str) -> list[str]:
    row = await session.execute(
        text("SELECT tsvector_to_array(to_tsvector('english', :text))"), {"text": query_text}
    )
    return list(row.scalar_one() or [])
