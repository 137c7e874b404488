"""SQL pieces every chunk query shares: the filters a search may apply and their conditions on the chunk's copied
document fields, the columns a ranked row carries, and pgvector's text form of a query vector."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def vector_literal(vector: Sequence[float]) -> str:
    """pgvector's text form, bound as a parameter and cast to ``vector`` in SQL."""
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


@dataclass(frozen=True, slots=True)
class Filters:
    kind: str | None = None
    grade_low: int | None = None  # requested band overlaps the document's band
    grade_high: int | None = None
    audience: str | None = None  # the document's audience, or "all-staff"

    @property
    def any(self) -> bool:
        return bool(self.kind or self.audience or (self.grade_low is not None and self.grade_high is not None))


CHUNK_COLUMNS = ("c.id, c.section, c.role, c.content, d.slug, d.title, d.kind, d.version, d.audience, "
                 "d.grade_band, c.page_start, c.page_end")


def filter_where(filters: Filters, params: dict[str, Any]) -> str:
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
