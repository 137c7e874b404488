"""The JSON shape of an inbound activity, checked before it is parsed into botbuilder models or authenticated:
nesting depth (measured without recursion) and the JSON type of every field Faraday reads. A wrong shape is a 400
that says which field; botbuilder/msrest would otherwise coerce it (``"type": 7`` becomes ``"7"``) or fail later
with a 500."""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64  # Teams activities nest about 6 levels; adaptive card submissions a few more

_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "object": (dict,), "list": (list,), "bool": (bool,)}

# path -> (JSON type, required). Required strings must also be non-empty. ``null`` means absent for the others.
FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("type", "string", True),
    ("id", "string", False),
    ("channelId", "string", False),
    ("serviceUrl", "string", True),
    ("from", "object", True),
    ("from.id", "string", True),
    ("from.aadObjectId", "string", False),
    ("from.name", "string", False),
    ("recipient", "object", False),
    ("recipient.id", "string", False),
    ("recipient.name", "string", False),
    ("conversation", "object", True),
    ("conversation.id", "string", True),
    ("conversation.conversationType", "string", False),
    ("conversation.tenantId", "string", False),
    ("conversation.isGroup", "bool", False),
    ("channelData", "object", False),
    ("channelData.tenant", "object", False),
    ("channelData.tenant.id", "string", False),
    ("channelData.team", "object", False),
    ("channelData.channel", "object", False),
    ("channelData.meeting", "object", False),
    ("text", "string", False),
    ("textFormat", "string", False),
    ("value", "object", False),
    ("entities", "list", False),
    ("attachments", "list", False),
    ("membersAdded", "list", False),
    ("membersRemoved", "list", False),
    ("name", "string", False),
    ("action", "string", False),
    ("replyToId", "string", False),
    ("locale", "string", False),
    ("timestamp", "string", False),
)
LISTS_OF_OBJECTS = ("entities", "attachments", "membersAdded", "membersRemoved")


def nesting_depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays/objects nest deeper than ``limit`` (the top-level object is depth 1); iterative."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def shape_problem(body: Any) -> str | None:
    """What is wrong with this decoded JSON body as an activity (naming the field), or None."""
    if nesting_depth_exceeds(body):
        return f"nested deeper than {MAX_DEPTH} levels"
    if not isinstance(body, dict):
        return "expected a JSON object"
    for path, kind, required in FIELDS:
        parent: Any = body
        *parents, leaf = path.split(".")
        for key in parents:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict):
            continue  # the parent is absent (or already reported)
        value = parent.get(leaf)
        if value is None:
            if required:
                return f"{path} is required"
            continue
        if not isinstance(value, _TYPES[kind]):
            return f"{path} must be a JSON {kind}, not {_json_type(value)}"
        if required and kind == "string" and not value:
            return f"{path} must not be empty"
    for path in LISTS_OF_OBJECTS:
        items = body.get(path)
        if isinstance(items, list) and not all(isinstance(item, dict) for item in items):
            return f"{path} must be a list of JSON objects"
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
