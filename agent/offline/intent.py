"""What the offline planner decides a message asks for: a tool with its arguments, or a reply of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Intent:
    name: str  # a tool name, or greeting | thanks | help | clarify | out_of_scope | unknown
    arguments: dict[str, Any] = field(default_factory=dict)
    question: str | None = None  # for clarify
