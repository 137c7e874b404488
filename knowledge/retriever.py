"""Hybrid retrieval: vector top-k + full-text top-k, then one second-stage score over both arms' candidates
(``knowledge.rerank``; reciprocal rank fusion for embedders other than MiniLM), with evidence-based abstention.

Vector side: a chunk scores max(chunk, best sentence passage) over the query and its glossary-expanded form
(``knowledge.glossary``). Full-text side: the query's English lexemes OR the glossary's document terms. Only chunks of
the embedder's own model name and dimension, from approved documents, that pass the filters are ranked. When the
evidence is weak (low best similarity, and the query's words are unknown to the corpus or rarely found together in a
section) the search returns nothing, so the agent says there is no district document rather than improvising one.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge import passage_store, rerank, store, topics
from knowledge.chunking import DASH, section_id
from knowledge.documents import grade_range
from knowledge.embedders import MINILM_NAME, Embedder
from knowledge.glossary import expand
from knowledge.parsed import page_label

SearchMode = Literal["auto", "exact", "hnsw"]


@dataclass(frozen=True, slots=True)
class Hit:
    chunk_id: str
    title: str  # the document's title
    section: str
    snippet: str
    score: float  # fused RRF score (or the single arm's score)
    kind: str
    version: str
    section_id: str = ""  # id of the section's first chunk (what citations and the labelled set name)
    text: str = ""  # the section text without the title prefix
    similarity: float | None = None  # cosine similarity to the query, when the vector arm saw this chunk
    pages: tuple[int, int] | None = None  # (first, last) page the chunk's text came from; None without pages
    slug: str = ""  # the document's slug
    role: str = "other"  # domain.section_roles: steps | criteria | roles | background | other

    @property
    def reference(self) -> str:
        """"Title, §Section, p. 4" (no page for formats without pages)."""
        return cite_label(self.title, self.section, self.pages)


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    candidates: int = 20  # per arm, before fusion
    # RRF constant and arm weights: see the note in knowledge/evaluate.py (chosen on the even-indexed questions,
    # shipped only because the held-out odd half did not get worse).
    rrf_k: int = 10
    vector_weight: float = 1.0
    text_weight: float = 0.2
    text_mode: Literal["or", "web"] = "or"
    # Second stage (knowledge.rerank), MiniLM only: similarity + token_weight · token match + rerank_text_weight ·
    # (rrf_k + 1) / (rrf_k + full-text rank), over both arms' candidates. Chosen on the even-indexed questions.
    rerank: bool = True
    token_weight: float = 1.25
    rerank_text_weight: float = 0.1
    passages: bool = True  # score a chunk by max(chunk, best sentence passage); exact scan only
    glossary: bool = True  # expand lay terms into document vocabulary (both arms)
    topics: bool = True  # name the query's topic when no document covers it (knowledge.topics), MiniLM only
    # Abstention (calibrated on the even-indexed labelled questions; see knowledge/evaluate.py):
    min_similarity: float = 0.39  # below this, abstain whatever the words say
    confident_similarity: float = 0.47  # at or above this, answer
    min_coverage: float = 0.4  # in between, answer only if a section contains this share of the query's words...
    max_unknown: float = 1.0  # ...and at most this share of them is absent from the whole corpus
    mode: SearchMode = "auto"
    # Chunks of one model; exact scan (with passages) below. Measured (`bench.retrieval --crossover`): the exact path
    # costs ~8 ms SQL at 2k chunks, ~18 ms at 5k, ~33 ms at 10k and ~250 ms at 20k, HNSW 3-6 ms throughout.
    hnsw_threshold: int = 2_000
    count_ttl_s: float = 300.0


@dataclass(slots=True)
class Retrieval:
    """Everything one search saw: each arm's ranking, the fused ranking and the abstention evidence."""

    vector: list[Hit] = field(default_factory=list)
    text: list[Hit] = field(default_factory=list)
    fused: list[Hit] = field(default_factory=list)  # best first: by score, documents naming a clear covered topic ahead
    best_similarity: float = 0.0
    coverage: float = 0.0  # best share of the query's lexemes found in one matching chunk
    unknown: list[str] = field(default_factory=list)  # the query's lexemes that occur nowhere in the corpus
    unknown_share: float = 0.0
    expansion: str = ""  # glossary terms added to the query
    abstain: bool = True
    outside: str = ""  # the query's topic (knowledge.topics; MiniLM only) when clearly one no document covers...
    inside: str = ""  # ...or when clearly one a document covers
    outside_similarity: float = 0.0  # how close the uncovered topic's nearest example is to the query
    leading: str = ""  # a safety search's nearest topic when a document covers it: its documents answer first
    nearest_covered: float = 0.0  # how close the nearest topic is, when it is one a document covers (0 when not)


class Retriever:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], embedder: Embedder, config: RetrievalConfig | None = None
    ) -> None:
        self.sessions = sessions
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self._count: tuple[float, int] | None = None
        # kind → (when read, what the documents cover together, what each covers by slug)
        self._scopes: dict[str | None, tuple[float, str, dict[str, str]]] = {}

    async def search(
        self, query: str, *, kind: str | None = None, grade_band: str | None = None, audience: str | None = None,
        k: int = 5,
    ) -> list[Hit]:
        """The top ``k`` fused hits, or ``[]`` when no approved document is relevant enough."""
        found = await self.retrieve(query, kind=kind, grade_band=grade_band, audience=audience)
        return [] if found.abstain else found.fused[:k]

    async def retrieve(
        self, query: str, *, kind: str | None = None, grade_band: str | None = None, audience: str | None = None,
    ) -> Retrieval:
        query = " ".join(query.split())[:1000]
        if not query:
            return Retrieval()
        filters = _filters(kind, grade_band, audience)
        cfg = self.config
        expansion = expand(query) if cfg.glossary else ""
        texts = [query, f"{query} ({expansion})"] if expansion else [query]
        vectors = await self.embedder.embed_documents(texts)  # one batch: the query and its expanded form
        name, dim, k = self.embedder.name, self.embedder.dim, cfg.candidates
        async with self.sessions() as session, session.begin():
            hnsw = await self._use_hnsw(session)
            if cfg.passages and not hnsw:
                vector_rows = await passage_store.passage_vector_search(session, vectors, name, dim, filters, k)
            else:
                vector_rows = await _max_over_queries(session, vectors, name, dim, filters, k, hnsw=hnsw)
            text_rows = await store.text_search(
                session, f"{query} {expansion}".strip(), name, dim, filters, k, mode=cfg.text_mode
            )
            n_lexemes, unknown = await passage_store.lexeme_support(session, query)
            matcher = rerank.matcher_for(name) if cfg.rerank else None
            extra: dict[str, float] = {}
            if matcher is not None:  # the similarity of full-text-only candidates, so every candidate has one
                seen = {r.id for r in vector_rows}
                extra = await passage_store.chunk_similarities(
                    session, vectors, name, dim, [r.id for r in text_rows if r.id not in seen],
                    passages=cfg.passages and not hnsw,
                )
        found = Retrieval(
            vector=[_hit(r, float(r.similarity), similarity=float(r.similarity)) for r in vector_rows],
            text=[_hit(r, float(r.rank)) for r in text_rows],
            unknown=unknown, unknown_share=len(unknown) / n_lexemes if n_lexemes else 0.0, expansion=expansion,
        )
        found.best_similarity = (found.vector[0].similarity or 0.0) if found.vector else 0.0
        found.coverage = max((r.matched / r.query_lexemes for r in text_rows if r.query_lexemes), default=0.0)
        if matcher is not None:
            found.fused = _rerank(query, found.vector, found.text, extra, matcher, cfg)
        else:
            found.fused = fuse(found.vector, found.text, cfg)
        found.abstain = self.should_abstain(found.best_similarity, found.coverage, found.unknown_share)
        if cfg.topics and name == MINILM_NAME and kind in (None, "safety"):
            judged = await self._topic(vectors[0], kind)
            found.nearest_covered = judged.similarity if judged.covered else 0.0
            if judged.clear:
                found.inside, found.outside = (judged.topic.name, "") if judged.covered else ("", judged.topic.name)
                found.outside_similarity = 0.0 if judged.covered else judged.similarity
            if (kind == "safety" and judged.covered and judged.similarity >= topics.MIN_SIMILARITY
                    and found.fused and found.fused[0].kind == "safety"):
                # clear or not (its documents first costs little when wrong); only for safety searches: on the
                # labelled questions of every kind (`python -m knowledge evaluate`) it cost recall@5 0.827 -> 0.808
                found.leading = judged.topic.name
                found.fused = self._naming_first(found.fused, judged, kind)
        return found

    def _naming_first(self, hits: list[Hit], judged: topics.Judgement, kind: str | None) -> list[Hit]:
        """The hits of documents that name the message's nearest covered topic first, each side in its own order:
        "passed out cold, no breathing" is the cardiac arrest protocol's, whatever "cold" adds to the cold-weather
        one. Of those, a document whose title names a second topic of the message and not the first comes first
        ("Seizure First Aid" for shaking in the shallow end, before "Aquatics and Pool Safety"), then one whose title
        names more of the topic's terms ("Cold Weather, Frostbite and Hypothermia" for white, numb fingers, before
        "... Cold-Water Immersion" and the RICE method's cold pack)."""
        scopes, topic, also = self._scopes[kind][2], judged.topic, judged.also
        naming = [h for h in hits if topics.covered(topic, scopes.get(h.slug, ""))]

        def order(hit: Hit) -> tuple[int, int]:
            title = hit.title.lower()
            named = topics.named_terms(topic, title)
            return -(also is not None and not named and topics.covered(also, title)), -named

        naming.sort(key=order)
        return [*naming, *(h for h in hits if h not in naming)] if naming else hits

    async def _topic(self, vector: list[float], kind: str | None) -> topics.Judgement:
        """The query's nearest topic, whether an approved document (of ``kind``) covers it, how close, how clear."""
        index = await topics.topic_index()
        now = time.monotonic()
        cached = self._scopes.get(kind)
        if cached is None or now - cached[0] > self.config.count_ttl_s:
            async with self.sessions() as session:
                scopes = await store.document_scopes(session, self.embedder.name, self.embedder.dim, kind)
            self._scopes[kind] = cached = (now, "\n".join(scopes.values()), scopes)
        return index.judge(vector, cached[1])

    async def sections(self, slug: str) -> list[Hit]:
        """Every section chunk of one approved document, in document order (as hits without a score)."""
        async with self.sessions() as session:
            rows = await store.document_sections(session, slug, self.embedder.name, self.embedder.dim)
        return [
            Hit(chunk_id=r.chunk_id, title=r.title, section=r.section, snippet=snippet(_body(r.content, r.title)),
                score=0.0, kind=r.kind, version=r.version, section_id=section_id(slug, r.section),
                text=_body(r.content, r.title).strip(), role=r.role, slug=slug)
            for r in rows
        ]

    def should_abstain(self, best_similarity: float, coverage: float, unknown_share: float = 0.0) -> bool:
        cfg = self.config
        if best_similarity < cfg.min_similarity:
            return True
        if best_similarity >= cfg.confident_similarity:
            return False
        return coverage < cfg.min_coverage or unknown_share > cfg.max_unknown

    async def _use_hnsw(self, session: AsyncSession) -> bool:
        cfg = self.config
        if cfg.mode != "auto":
            return cfg.mode == "hnsw"
        now = time.monotonic()
        if self._count is None or now - self._count[0] > cfg.count_ttl_s:
            self._count = (now, await store.count_chunks(session, self.embedder.name, self.embedder.dim))
        return self._count[1] >= cfg.hnsw_threshold


async def _max_over_queries(
    session: AsyncSession, vectors: list[list[float]], name: str, dim: int, filters: store.Filters, k: int,
    *, hnsw: bool,
) -> list[Any]:
    """Chunk-only vector search (HNSW or exact) per query vector, merged by each chunk's best similarity."""
    best: dict[str, Any] = {}
    for vector in vectors:
        for row in await store.vector_search(session, vector, name, dim, filters, k, hnsw=hnsw):
            if row.id not in best or row.similarity > best[row.id].similarity:
                best[row.id] = row
    return sorted(best.values(), key=lambda r: -r.similarity)[:k]


def fuse(vector: list[Hit], text: list[Hit], config: RetrievalConfig) -> list[Hit]:
    """Reciprocal rank fusion: score = Σ weight / (rrf_k + rank), ranks from 1; ties keep the vector order."""
    scores: dict[str, float] = {}
    hits: dict[str, Hit] = {}
    for weight, ranking in ((config.vector_weight, vector), (config.text_weight, text)):
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (config.rrf_k + rank)
            hits.setdefault(hit.chunk_id, hit)
    ordered = sorted(hits, key=lambda cid: -scores[cid])
    return [_rescore(hits[cid], scores[cid]) for cid in ordered]


def _rerank(
    query: str, vector: list[Hit], text: list[Hit], extra: dict[str, float], matcher: rerank.TokenMatcher,
    config: RetrievalConfig,
) -> list[Hit]:
    """Both arms' candidates ordered by ``rerank.combined_scores``; ties keep the vector order."""
    hits: dict[str, Hit] = {}
    for hit in vector + text:
        hits.setdefault(hit.chunk_id, hit)
    text_rank = {h.chunk_id: rank for rank, h in reversed(list(enumerate(text, start=1)))}
    candidates = [h for h in hits.values() if h.similarity is not None or h.chunk_id in extra]
    sims = [h.similarity if h.similarity is not None else extra[h.chunk_id] for h in candidates]
    token = matcher.scores(matcher.query_ids(query), [f"{h.title}{DASH}{h.section}\n{h.text}" for h in candidates])
    scores = rerank.combined_scores(
        sims, token, [text_rank.get(h.chunk_id) for h in candidates],
        token_weight=config.token_weight, text_weight=config.rerank_text_weight, rrf_k=config.rrf_k,
    )
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    return [_rescore(candidates[i], scores[i], similarity=sims[i]) for i in order]


def _rescore(hit: Hit, score: float, *, similarity: float | None = None) -> Hit:
    return Hit(
        hit.chunk_id, hit.title, hit.section, hit.snippet, round(score, 6), hit.kind, hit.version,
        hit.section_id, hit.text, hit.similarity if similarity is None else similarity, hit.pages, hit.slug, hit.role,
    )


def _filters(kind: str | None, grade_band: str | None, audience: str | None) -> store.Filters:
    low = high = None
    if grade_band:
        low, high = grade_range(grade_band)
    return store.Filters(kind=kind or None, grade_low=low, grade_high=high, audience=audience or None)


def _body(content: str, title: str) -> str:
    return content.split("\n", 1)[1] if content.startswith(title) and "\n" in content else content


def _hit(row: Any, score: float, *, similarity: float | None = None) -> Hit:
    body = _body(row.content, row.title)
    return Hit(
        chunk_id=row.id, title=row.title, section=row.section, snippet=snippet(body), score=round(score, 6),
        kind=row.kind, version=row.version, section_id=section_id(row.slug, row.section), text=body.strip(),
        similarity=similarity, pages=(int(row.page_start), int(row.page_end or row.page_start))
        if getattr(row, "page_start", None) is not None else None, slug=row.slug,
        role=getattr(row, "role", None) or "other",
    )


def cite_label(title: str, section: str, pages: tuple[int, int] | None) -> str:
    """"Concussion Protocol, §Return to Play, p. 4" — the section only when it is not the title's overview."""
    parts = [title]
    if section and section != "Overview":
        parts.append(f"§{section}")
    if pages:
        parts.append(page_label(pages))
    return ", ".join(parts)


def snippet(body: str, limit: int = 240) -> str:
    flat = re.sub(r"\s+", " ", re.sub(r"^[-*]\s+|^\d+\.\s+", "", body, flags=re.M)).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"
