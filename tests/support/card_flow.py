"""Pressing a card's buttons as Teams would: the values its inputs hold and the Action.Execute invoke."""

from __future__ import annotations

from typing import Any

from devtools.fakes.activities import ALEX, activity
from devtools.fakes.connector import FakeConnector


def card_inputs(card: dict[str, Any]) -> dict[str, str]:
    """The values the card's inputs hold, as a client would submit them."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = str(node.get("value", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("body", []))
    return found


def card_action(card: dict[str, Any], title: str) -> dict[str, Any]:
    return next(a for a in card["actions"] if a["title"] == title)


def execute(connector: FakeConnector, action: dict[str, Any], inputs: dict[str, str], aad: str = ALEX) -> dict[str, Any]:
    data = {**action["data"], **inputs}
    return activity(connector.url, type="invoke", name="adaptiveCard/action", aad=aad,
                    value={"action": {"type": "Action.Execute", "verb": action["verb"], "data": data}})
