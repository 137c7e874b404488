"""All knowledge SQL: documents and chunks (ingest side), the per-model HNSW index, and the two ranked searches.

Every value from a user or a file is a bound parameter. The only text put into SQL is the embedding dimension (an int)
and the model name (checked against ``_MODEL_NAME``): DDL cannot take parameters, and a partial index is only usable
when the query repeats its predicate literally.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.chunking import Chunk
from knowledge.documents import Document, slugify
from knowledge.metadata import AUDIENCES, KIND_LABELS
from knowledge.parsed import DocumentError

_MODEL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
HNSW_PREFIX = "ix_knowledge_chunks_hnsw_"


def _model_literal(model: str) -> str:
    if not _MODEL_NAME.match(model):
        raise ValueError(f"unsafe embedding model name {model!r}")
    return f"'{model}'"


def hnsw_index_name(model: str) -> str:
    return HNSW_PREFIX + slugify(model).replace("-", "_")[:63 - len(HNSW_PREFIX)]


def vector_literal(vector: Sequence[float]) -> str:
    """pgvector's text form, bound as a parameter and cast to ``vector`` in SQL."""
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


# --- ingest side -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StoredChunk:
    content_hash: str
    embedding_model: str
    embedding_dim: int
    ordinal: int
    section: str
    page_start: int | None = None
    page_end: int | None = None
    role: str = "other"


async def upsert_document(session: AsyncSession, doc: Document, *, source: str = "corpus") -> int:
    """Insert or update the document row (locking it for this transaction); returns its id.

    A slug belongs to one source: a bundled corpus file never overwrites an admin's upload, nor an upload a bundled
    file (``DocumentError``)."""
    row = await session.execute(
        text(
            """
            INSERT INTO knowledge_documents (slug, title, kind, audience, grade_band, version, reviewed_by,
                                             reviewed_on, approved, content_hash, updated_at, source, format, pages)
            VALUES (:slug, :title, :kind, :audience, :grade_band, :version, :reviewed_by, :reviewed_on, :approved,
                    :content_hash, now(), :source, :format, :pages)
            ON CONFLICT (slug) DO UPDATE SET
                title = EXCLUDED.title, kind = EXCLUDED.kind, audience = EXCLUDED.audience,
                grade_band = EXCLUDED.grade_band, version = EXCLUDED.version, reviewed_by = EXCLUDED.reviewed_by,
                reviewed_on = EXCLUDED.reviewed_on, approved = EXCLUDED.approved,
                content_hash = EXCLUDED.content_hash, format = EXCLUDED.format, pages = EXCLUDED.pages,
                updated_at = CASE WHEN knowledge_documents.content_hash = EXCLUDED.content_hash
                                  THEN knowledge_documents.updated_at ELSE now() END
            WHERE knowledge_documents.source = EXCLUDED.source
            RETURNING id
            """
        ),
        {
            "slug": doc.slug, "title": doc.title, "kind": doc.kind, "audience": doc.audience,
            "grade_band": doc.grade_band, "version": doc.version, "reviewed_by": doc.reviewed_by,
            "reviewed_on": doc.reviewed_on, "approved": doc.approved, "content_hash": doc.content_hash,
            "source": source, "format": doc.format, "pages": doc.pages,
        },
    )
    document_id = row.scalar_one_or_none()
    if document_id is None:
        other = "an uploaded" if source == "corpus" else "a bundled"
        raise DocumentError(f"{doc.slug}: {other} document already has this name")
    return int(document_id)


async def document_source(session: AsyncSession, slug: str) -> tuple[str, str] | None:
    """``(source, version)`` of the stored document with this slug, or None."""
    row = (await session.execute(
        text("SELECT source, version FROM knowledge_documents WHERE slug = :slug"), {"slug": slug})).first()
    return (str(row.source), str(row.version)) if row else None


async def uploaded_document_titled(session: AsyncSession, title: str) -> tuple[str, str] | None:
    """``(slug, version)`` of the uploaded document with this title (case and spacing aside), or None."""
    row = (await session.execute(
        text("SELECT slug, version FROM knowledge_documents WHERE source = 'upload' "
             "AND lower(regexp_replace(title, '\\s+', ' ', 'g')) = lower(:title) ORDER BY id LIMIT 1"),
        {"title": " ".join(title.split())})).first()
    return (str(row.slug), str(row.version)) if row else None


async def stored_chunks(session: AsyncSession, document_id: int) -> dict[str, StoredChunk]:
    rows = await session.execute(
        text(
            "SELECT id, content_hash, embedding_model, "
            "CASE WHEN embedding IS NULL THEN 0 ELSE embedding_dim END AS embedding_dim, ordinal, section, "
            "page_start, page_end, role "
            "FROM knowledge_chunks WHERE document_id = :doc"
        ),
        {"doc": document_id},
    )
    return {r.id: StoredChunk(r.content_hash, r.embedding_model, r.embedding_dim, r.ordinal, r.section,
                              r.page_start, r.page_end, r.role) for r in rows}


async def delete_chunks(session: AsyncSession, ids: Sequence[str]) -> None:
    if ids:
        await session.execute(text("DELETE FROM knowledge_chunks WHERE id = ANY(:ids)"), {"ids": list(ids)})


async def write_chunks(
    session: AsyncSession, document_id: int, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]],
    model: str, dim: int,
) -> None:
    """Insert or replace chunks with their new embeddings (a chunk id moving between documents moves too)."""
    if not chunks:
        return
    await session.execute(
        text(
            """
            INSERT INTO knowledge_chunks (id, document_id, ordinal, section, role, content, content_hash,
                                          embedding_model, embedding_dim, embedding, page_start, page_end)
            VALUES (:id, :doc, :ordinal, :section, :role, :content, :hash, :model, :dim, CAST(:embedding AS vector),
                    :page_start, :page_end)
            ON CONFLICT (id) DO UPDATE SET
                document_id = EXCLUDED.document_id, ordinal = EXCLUDED.ordinal, section = EXCLUDED.section,
                role = EXCLUDED.role,
                content = EXCLUDED.content, content_hash = EXCLUDED.content_hash,
                embedding_model = EXCLUDED.embedding_model, embedding_dim = EXCLUDED.embedding_dim,
                embedding = EXCLUDED.embedding, page_start = EXCLUDED.page_start, page_end = EXCLUDED.page_end
            """
        ),
        [
            {
                "id": c.id, "doc": document_id, "ordinal": c.ordinal, "section": c.section, "role": c.role,
                "content": c.content,
                "hash": c.content_hash, "model": model, "dim": dim, "embedding": vector_literal(v),
                "page_start": c.page_start, "page_end": c.page_end,
            }
            for c, v in zip(chunks, vectors, strict=True)
        ],
    )


async def move_chunks(session: AsyncSession, chunks: Sequence[Chunk]) -> None:
    """Unchanged content whose position, heading, pages or role changed: update the cheap columns only."""
    if chunks:
        await session.execute(
            text("UPDATE knowledge_chunks SET ordinal = :ordinal, section = :section, page_start = :page_start, "
                 "page_end = :page_end, role = :role WHERE id = :id"),
            [{"id": c.id, "ordinal": c.ordinal, "section": c.section, "page_start": c.page_start,
              "page_end": c.page_end, "role": c.role} for c in chunks],
        )


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


async def document_slugs(session: AsyncSession, source: str = "corpus") -> list[str]:
    return list((await session.execute(
        text("SELECT slug FROM knowledge_documents WHERE source = :source ORDER BY slug"), {"source": source}
    )).scalars())


async def delete_document(session: AsyncSession, slug: str) -> int:
    """Delete a document and (by cascade) its chunks and vectors; returns how many chunks went with it."""
    count = await session.execute(
        text(
            "SELECT count(*) FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id "
            "WHERE d.slug = :slug"
        ),
        {"slug": slug},
    )
    removed = int(count.scalar_one())
    await session.execute(text("DELETE FROM knowledge_documents WHERE slug = :slug"), {"slug": slug})
    return removed


# HNSW build parameters and the per-query search width, measured with ``bench.retrieval`` (100k chunks shaped like
# the corpus's MiniLM embeddings, the labelled questions as queries): m=16/ef_construction=64 (pgvector's defaults)
# reached recall@5 0.89 against the exact scan at ef_search=100; ef_construction=200 with ef_search=200 reaches ~0.99
# for ~2 ms more per query and a ~3x slower build (once per model; later inserts are incremental).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 200  # at least 2k
# A filter's scope graph holds a few topics' chunks packed close together (one kind, one school band): at 100k
# chunks, ef 200 reached recall@5 0.974 (curriculum 3-5) and 0.983 (nurses); 300 reached 0.992 and 0.991, 400 0.995.
HNSW_EF_SEARCH_FILTERED = 300
HNSW_MAX_SCAN_TUPLES = 20_000  # an iterative scan whose post-filter starves gives up here; the exact scan answers
# A filter passing fewer approved chunks than this is answered by the exact scan over those chunks only (found through
# the B-tree indexes on the chunk's filter fields; a few milliseconds), with recall 1.
EXACT_BELOW = 2_000


@dataclass(frozen=True, slots=True)
class Scope:
    """A partial HNSW index holding the chunks one filter passes, besides the model's index of all its chunks.

    A filtered search walks the graph of its scope, so it neither digs past neighbours the filter rejects (the cost)
    nor misses the filter's nearest chunks when they lie far from the query (the recall). ``predicate`` is on the
    chunk's copied document fields (migration 0019_h22); queries repeat it literally so the planner can use the index.
    """

    suffix: str
    condition: str  # constant SQL over knowledge_chunks' columns, each written {c}column

    def predicate(self, alias: str = "") -> str:
        return self.condition.format(c=f"{alias}." if alias else "")


KIND_SCOPES = {kind: Scope(kind, f"{{c}}doc_kind = '{kind}'") for kind in KIND_LABELS}
AUDIENCE_SCOPES = {a: Scope(a.replace("-", "_"), f"{{c}}doc_audience IN ('{a}', 'all-staff')")
                   for a in AUDIENCES if a != "all-staff"}
# Grade bands narrow curriculum (safety protocols are nearly all K-12): one index per school band, holding every
# curriculum chunk whose band overlaps it. A requested band inside one of them searches that index.
GRADE_BUCKETS = ((0, 2), (3, 5), (6, 8), (9, 12))
BUCKET_SCOPES = {
    (low, high): Scope(f"curriculum_{'k' if low == 0 else low}_{high}",
                       f"{{c}}doc_kind = 'curriculum' AND {{c}}grade_low <= {high} AND {{c}}grade_high >= {low}")
    for low, high in GRADE_BUCKETS
}
SCOPES = (*KIND_SCOPES.values(), *AUDIENCE_SCOPES.values(), *BUCKET_SCOPES.values())


def scope_index_name(model: str, scope: Scope) -> str:
    base = hnsw_index_name(model)
    return base[:63 - len(scope.suffix) - 2] + "__" + scope.suffix


def scope_for(filters: Filters) -> Scope | None:
    """The narrowest partial index whose chunks include every chunk the filters pass (None: the model's index).

    Kind first (with a grade band inside one school band, curriculum's band index), else the audience; the filters
    the scope does not express are applied inside the index scan (iterative scans keep going until ``k`` pass).
    """
    if filters.kind in KIND_SCOPES:
        if filters.kind == "curriculum" and filters.grade_low is not None and filters.grade_high is not None:
            for (low, high), scope in BUCKET_SCOPES.items():
                if low <= filters.grade_low and filters.grade_high <= high:
                    return scope
        return KIND_SCOPES[filters.kind]
    if filters.audience in AUDIENCE_SCOPES:
        return AUDIENCE_SCOPES[filters.audience]
    return None


async def ensure_hnsw_index(session: AsyncSession, model: str, dim: int) -> bool:
    """The model's partial HNSW expression indexes (all its chunks, and one per ``Scope``), created the first time the
    model is ingested.

    An index built with other parameters (an older release's defaults) is dropped and rebuilt. Returns whether any
    index was (re)built.
    """
    built = False
    indexes = [(hnsw_index_name(model), "")] + [(scope_index_name(model, s), f" AND {s.predicate()}") for s in SCOPES]
    for name, predicate in indexes:
        built |= await _ensure_one(session, name, model, dim, predicate)
    return built


async def _ensure_one(session: AsyncSession, name: str, model: str, dim: int, predicate: str) -> bool:
    wanted = [f"m={HNSW_M}", f"ef_construction={HNSW_EF_CONSTRUCTION}"]
    found = await session.execute(
        text("SELECT c.reloptions FROM pg_class c WHERE c.oid = to_regclass(:name)"), {"name": name}
    )
    row = found.first()
    if row is not None:
        if sorted(row.reloptions or []) == sorted(wanted):
            return False
        await session.execute(text(f"DROP INDEX {name}"))
    await session.execute(
        text(
            f"CREATE INDEX {name} ON knowledge_chunks "
            f"USING hnsw ((embedding::vector({int(dim)})) vector_ip_ops) "
            f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) "
            f"WHERE embedding_model = {_model_literal(model)}{predicate}"
        )
    )
    return True


async def count_chunks(session: AsyncSession, model: str, dim: int) -> int:
    row = await session.execute(
        text("SELECT count(*) FROM knowledge_chunks WHERE embedding_model = :model AND embedding_dim = :dim"),
        {"model": model, "dim": dim},
    )
    return int(row.scalar_one())


# --- search side -------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Filters:
    kind: str | None = None
    grade_low: int | None = None  # requested band overlaps the document's band
    grade_high: int | None = None
    audience: str | None = None  # the document's audience, or "all-staff"

    @property
    def any(self) -> bool:
        return bool(self.kind or self.audience or (self.grade_low is not None and self.grade_high is not None))


_COLUMNS = ("c.id, c.section, c.role, c.content, d.slug, d.title, d.kind, d.version, d.audience, d.grade_band, "
            "c.page_start, c.page_end")


def _where(filters: Filters, params: dict[str, Any]) -> str:
    """Fixed SQL fragments chosen by which filters are present, on the chunk's copied document fields (no join
    needed); the values are bound parameters."""
    clauses = ["c.doc_approved", "c.embedding_model = :model", "c.embedding_dim = :dim"]
    if filters.kind:
        clauses.append("c.doc_kind = :kind")
        params["kind"] = filters.kind
    if filters.grade_low is not None and filters.grade_high is not None:
        clauses.append("c.grade_low <= :grade_high AND c.grade_high >= :grade_low")
        params.update(grade_low=filters.grade_low, grade_high=filters.grade_high)
    if filters.audience:
        clauses.append("c.doc_audience IN (:audience, 'all-staff')")
        params["audience"] = filters.audience
    return " AND ".join(clauses)


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
        where = _where(filters, params)
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
    where = _where(filters, params)
    if hnsw:
        distance = f"(c.embedding::vector({int(dim)})) <#> CAST(:q AS vector({int(dim)}))"
        where += f" AND c.embedding_model = {_model_literal(model)}"  # the partial indexes' predicates, literally
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
    where = _where(filters, params)
    tsquery = _OR_QUERY if mode == "or" else _WEB_QUERY
    # Interpolated: constant SQL fragments (_COLUMNS, a tsquery constant) and _where's conditions; values are binds.
    # Ranked first, on the index; the matched-lexeme count (coverage evidence) only for the k rows kept, with the
    # query's lexemes computed once (it was a subquery per matching row: ~3x the time with an OR query).
    sql = (
        f"WITH q AS (SELECT {tsquery} AS query, "  # noqa: S608
        f"tsvector_to_array(to_tsvector('english', :text)) AS lexemes), "
        f"top AS (SELECT c.id AS chunk, ts_rank_cd(c.tsv, q.query, 1) AS rank "
        f"FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id, q "
        f"WHERE c.tsv @@ q.query AND {where} ORDER BY rank DESC, c.id LIMIT :k) "
        f"SELECT {_COLUMNS}, top.rank, cardinality(q.lexemes) AS query_lexemes, "
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
