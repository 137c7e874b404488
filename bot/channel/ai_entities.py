"""Teams AI message entities (AI-generated label, citations). botbuilder 4.17 has no model for them, and msrest
drops unknown keys of a plain ``Entity``, so this subclass declares every key it serialises."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from botbuilder.schema import Entity

from knowledge.parsed import page_label
from tools.base import Citation

MAX_NAME = 80  # Teams' limits for a citation's appearance
MAX_ABSTRACT = 160
MARKER = re.compile(r"\[(\d{1,2})\]")


class AIMessageEntity(Entity):
    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        "type": {"key": "type", "type": "str"},
        "schema_type": {"key": "@type", "type": "str"},
        "context": {"key": "@context", "type": "str"},
        "entity_id": {"key": "@id", "type": "str"},
        "additional_type": {"key": "additionalType", "type": "[str]"},
        "citation": {"key": "citation", "type": "[object]"},
    }

    def __init__(self, *, citation: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(type="https://schema.org/Message", **kwargs)
        self.schema_type = "Message"
        self.context = "https://schema.org"
        self.entity_id = ""
        self.additional_type = ["AIGeneratedContent"]
        self.citation = citation or None


def ai_entity(text: str, citations: list[Citation]) -> AIMessageEntity:
    """The AI label, with a claim for every source the text cites as [n] (all sources when none is marked)."""
    cited = {int(n) for n in MARKER.findall(text)}
    positions = [i for i in range(1, len(citations) + 1) if not cited or i in cited]
    claims = [
        {
            "@type": "Claim",
            "position": i,
            "appearance": {
                "@type": "DigitalDocument",
                "name": _cut(citations[i - 1].title, MAX_NAME),
                "abstract": _cut(f"{citations[i - 1].reference}: {citations[i - 1].snippet}", MAX_ABSTRACT),
                "keywords": [_cut(citations[i - 1].section, 40)]
                + ([page_label(citations[i - 1].pages)] if citations[i - 1].pages else []),
                **({"url": citations[i - 1].url} if citations[i - 1].url else {}),
            },
        }
        for i in positions
    ]
    return AIMessageEntity(citation=claims)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
