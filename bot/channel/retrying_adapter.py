"""CloudAdapter with one safe retry rule for replies: botbuilder 4.17 never retries a failed send.

A 429 from the Bot Connector means "not delivered", so a single-activity reply is sent again after Retry-After
(capped, at most 3 attempts). 5xx and timeouts are ambiguous (the message may have been posted) and are not retried:
the turn fails with a 500, its de-duplication claim is released, and Teams' re-send is answered once. Proactive
sends (the alert relay's ``continue_conversation``) are left to the relay, which has its own backoff and limits.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse

log = logging.getLogger(__name__)

RETRY_AFTER_CAP_S = 2.0
SEND_ATTEMPTS = 3


class RetryingCloudAdapter(CloudAdapter):
    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        inbound = context.activity.type if context.activity is not None else None
        if len(activities or []) != 1 or inbound == ActivityTypes.event:
            return await super().send_activities(context, activities)
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                return await super().send_activities(context, activities)
            except Exception as exc:
                response = getattr(exc, "response", None)
                if getattr(response, "status_code", None) != 429 or attempt == SEND_ATTEMPTS:
                    raise
                delay = _retry_after(response, attempt)
                log.info("connector throttled a reply; retrying", extra={"attempt": attempt, "delay_s": delay})
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


def _retry_after(response: Any, attempt: int) -> float:
    try:
        seconds = float((getattr(response, "headers", None) or {}).get("Retry-After", ""))
    except (TypeError, ValueError):
        seconds = 0.5 * attempt
    return max(0.0, min(seconds, RETRY_AFTER_CAP_S))
