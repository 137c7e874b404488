"""Shared Adaptive Card pieces. Text from data is escaped so it renders as text, not markdown."""

from __future__ import annotations

import re
from typing import Any

CARD_VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
_MARKDOWN = re.compile(r"([\\`*_\[\]])")
_LIST_START = re.compile(r"^(\s*)([-+]|\d+\.)(\s)", re.M)


def escape(text: str) -> str:
    """Neutralise the markdown Adaptive Cards interpret (emphasis, links, code, list starts) in untrusted text:
    names, notes, model output shown as data. Other punctuation is left alone so it reads normally."""
    escaped = _MARKDOWN.sub(r"\\\1", text)
    return _LIST_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}{m.group(3)}", escaped)


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return content


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": content}


def heading(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": escape(text), "size": "Large", "weight": "Bolder", "wrap": True}


def text(value: str, *, subtle: bool = False, markdown: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": value if markdown else escape(value), "wrap": True}
    if subtle:
        block["isSubtle"] = True
    return block


def facts(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": escape(k), "value": escape(v)} for k, v in pairs]}


def section(title: str, items: list[str], *, style: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {
        "type": "Container",
        "items": [{"type": "TextBlock", "text": escape(title), "weight": "Bolder", "wrap": True}]
        + [{"type": "TextBlock", "text": "• " + escape(i), "wrap": True, "spacing": "None"} for i in items],
    }
    if style:
        container["style"] = style
    return container


def submit(title: str, action: str, **data: Any) -> dict[str, Any]:
    """A button whose press comes back as a message with ``value = {"action": action, **data}`` (card inputs merged)."""
    return {"type": "Action.Submit", "title": title, "data": {"action": action, **data}}


def grade_label(grade: int) -> str:
    return "K" if grade == 0 else str(grade)
