"""search_knowledge: cited passages from the district's safety protocols and PE curriculum."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.action_answer import ProtocolAnswer, protocol_answer
from knowledge.retriever import Hit
from tools.base import Citation, KnowledgeAccess, ToolDeps, ToolResult, tool

NO_SOURCE = (
    "No district document covers this; say so and suggest asking the school nurse or an administrator."
)
MAX_PASSAGES = 5
ACTION_INSTRUCTIONS = ("Lead with the steps exactly as numbered in the passage, then when to call 911, then whom to "
                       "notify; cite each with its cite label, e.g. [1]. See-also sections are background only.")
PASSAGE_INSTRUCTIONS = ("Answer only from these passages and cite each fact with its cite label, e.g. [1]; name a "
                        "source as its source line gives it (title, §section, page).")


class SearchKnowledgeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=500, description="What to look up, in the user's words")
    kind: Literal["safety", "curriculum", "policy"] | None = Field(
        default=None, description="safety for protocols and emergencies, curriculum for teaching, policy for district "
        "policies and procedures; null if unsure"
    )
    situation: bool | None = Field(
        default=None, description="true when the user describes something happening now (someone hurt or sick, "
                                  "weather, alarm, lockdown, water, broken equipment): the answer leads with the steps",
    )


@tool(SearchKnowledgeArgs)
async def search_knowledge(args: SearchKnowledgeArgs, deps: ToolDeps[KnowledgeAccess]) -> ToolResult:
    """Search the district's safety protocols and PE curriculum; cite what you use. Call it first whenever the user
    describes a medical or safety situation, even when they name a student (also call log_incident if they report
    one). Answer only from the passages; if the status is "no_source", say the district's documents don't cover it
    (name "related" only as related) and never make up a protocol."""
    found = await protocol_answer(deps.services.knowledge, args.query.strip(), kind=args.kind,
                                  situation=bool(args.situation), k=MAX_PASSAGES)
    if found.status == "no_source":
        return ToolResult(for_model=_no_source(found))
    files = deps.services.files  # None where documents have no stored originals
    links = await files.links_for(deps.actor, [h.slug for h in found.cited if h.slug]) if files is not None else {}
    citations = [_citation(hit, links) for hit in found.cited]
    labels = {hit.section_id: f"[{deps.citations.number(c)}]" for hit, c in zip(found.cited, citations, strict=True)}
    if found.mode == "passages":
        return ToolResult(
            for_model={
                "status": "found", "query": args.query, "instructions": PASSAGE_INSTRUCTIONS,
                "passages": [_passage(hit, labels) for hit in found.lead],
            },
            citations=citations,
        )
    passages = [_passage(hit, labels, "steps") for hit in found.lead]
    if found.criteria is not None:
        passages.append(_passage(found.criteria, labels, "call_911"))
    if found.notify is not None:
        passages.append(_passage(found.notify, labels, "notify"))
    return ToolResult(
        for_model={
            "status": "found", "query": args.query, "instructions": ACTION_INSTRUCTIONS, "passages": passages,
            "see_also": [{"cite": labels[h.section_id], "title": h.title, "section": h.section}
                         for h in found.see_also],
        },
        citations=citations,
    )


def _citation(hit: Hit, links: dict[str, str]) -> Citation:
    return Citation(chunk_id=hit.chunk_id, title=hit.title, section=hit.section, snippet=hit.snippet,
                    url=links.get(hit.slug), pages=hit.pages)


def _passage(hit: Hit, labels: dict[str, str], role: str | None = None) -> dict[str, str]:
    out = {"cite": labels[hit.section_id], "title": hit.title, "section": hit.section, "source": hit.reference,
           "text": hit.text or hit.snippet}
    if role:
        out["role"] = role
    return out


def _no_source(found: ProtocolAnswer) -> dict[str, Any]:
    out: dict[str, Any] = {"status": "no_source", "message": NO_SOURCE}
    if found.topic:
        out["topic"] = found.topic
    if found.related is not None:
        out["related"] = found.related.title
    return out
