"""Teams AI message entities (AI-generated label, citations). botbuilder 4.17 has no model for them, and msrest
drops unknown keys of a plain ``Entity``, so this subclass declares every key it serialises."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Entity


class AIMessageEntity(Entity):
    _attribute_map = {
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
