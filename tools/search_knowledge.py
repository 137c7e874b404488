"""search_knowledge: cited passages from the district's safety protocols and PE curriculum."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.base import Citation, ToolDeps, ToolResult, tool

NO_SOURCE = (
    "No district document covers this; say so and suggest asking the school nurse or an administrator."
)
MAX_PASSAGES = 5


class SearchKnowledgeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=500, description="What to look up, in the user's words")
    kind: Literal["safety", "curriculum", "policy"] | None = Field(
        default=None, description="safety for protocols and emergencies, curriculum for teaching, policy for district "
        "policies and procedures; null if unsure"
    )


@tool(SearchKnowledgeArgs)
async def search_knowledge(args: SearchKnowledgeArgs, deps: ToolDeps) -> ToolResult:
    """Search the district's safety protocols and PE curriculum; cite what you use. Returns the most relevant
    sections (id, document title, section, text). Base safety guidance only on these passages and cite them; if the
    status is "no_source", tell the user the district has no document on it and suggest whom to ask — never make up
    a protocol."""
    hits = await deps.services.knowledge.search(args.query.strip(), kind=args.kind, k=MAX_PASSAGES)
    if not hits:
        return ToolResult(for_model={"status": "no_source", "message": NO_SOURCE})
    files = getattr(deps.services, "files", None)  # None where documents have no stored originals
    links = await files.links_for(deps.actor, [h.slug for h in hits if h.slug]) if files is not None else {}
    citations = [Citation(chunk_id=hit.chunk_id, title=hit.title, section=hit.section, snippet=hit.snippet,
                          url=links.get(hit.slug), pages=hit.pages)
                 for hit in hits]
    return ToolResult(
        for_model={
            "status": "found",
            "query": args.query,
            "instructions": "Answer only from these passages and cite each fact with its cite label, e.g. [1]; "
                            "name a source as its source line gives it (title, §section, page).",
            "passages": [
                {"cite": f"[{deps.citations.number(c)}]", "title": hit.title, "section": hit.section,
                 "source": c.reference, "text": hit.text or hit.snippet}
                for hit, c in zip(hits, citations, strict=True)
            ],
        },
        citations=citations,
    )
