"""Teams-shaped Bot Framework activities for tests (ids follow the Agents Playground's synthetic defaults)."""

from __future__ import annotations

import itertools
from typing import Any

TENANT = "00000000-0000-0000-0000-0000000000001"
BOT_ID = "00000000-0000-0000-0000-00000000000011"
ALEX = "00000000-0000-0000-0000-0000000000020"  # teacher
MEGAN = "00000000-0000-0000-0000-0000000000021"  # admin
ADELE = "00000000-0000-0000-0000-0000000000022"  # nurse
ISAIAH = "00000000-0000-0000-0000-0000000000023"  # teacher
STRANGER = "99999999-0000-0000-0000-000000000099"  # not on staff

_ids = itertools.count(1)


def activity(
    service_url: str,
    *,
    type: str = "message",
    text: str | None = None,
    aad: str = ALEX,
    tenant: str = TENANT,
    conversation_id: str | None = None,
    conversation_type: str = "personal",
    activity_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": type,
        "id": activity_id or f"incoming-{next(_ids)}",
        "timestamp": "2026-11-24T15:00:00.000Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:{aad}", "name": "Test User", "aadObjectId": aad},
        "recipient": {"id": f"28:{BOT_ID}", "name": "Faraday"},
        "conversation": {
            "id": conversation_id or f"a:personal-{aad}",
            "conversationType": conversation_type,
            "tenantId": tenant,
        },
        "channelData": {"tenant": {"id": tenant}},
        "locale": "en-US",
    }
    if text is not None:
        body["text"] = text
    body.update(extra)
    return body


def reference(service_url: str, conversation_id: str, aad: str) -> dict[str, Any]:
    """A stored 1:1 conversation reference (the JSON Faraday keeps) pointing at a fake connector."""
    return {"activityId": "x", "user": {"id": f"29:{aad}", "aadObjectId": aad}, "bot": {"id": f"28:{BOT_ID}"},
            "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": TENANT},
            "channelId": "msteams", "locale": "en-US", "serviceUrl": service_url}
