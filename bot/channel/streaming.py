"""Teams streaming in 1:1 chats: an informative update at once, cumulative text chunks as the model writes, then
the final message carrying the same stream id. Group chats and channels get a typing indicator and a plain reply.

Shapes (Teams "streaming UX"): chunks are ``typing`` activities with a ``streaminfo`` entity (streamType
informative → streaming, streamSequence increasing, each chunk holding all earlier text); the final ``message`` has
streamType final. At least ~0.5 s between updates; 2 minutes at most; a 403 means the user pressed Stop."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, ClassVar

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, Entity

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 0.6
MAX_DURATION_S = 110.0
# An answer ready sooner than this is itself the first visible response: no "working on it" is sent before it (one
# connector call fewer, and no flicker). Slower turns show the informative update / typing indicator at this point.
INFORM_AFTER_S = 0.25


class StreamInfoEntity(Entity):
    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        "type": {"key": "type", "type": "str"},
        "stream_id": {"key": "streamId", "type": "str"},
        "stream_type": {"key": "streamType", "type": "str"},
        "stream_sequence": {"key": "streamSequence", "type": "int"},
    }

    def __init__(self, *, stream_type: str, stream_id: str | None = None, stream_sequence: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(type="streaminfo", **kwargs)
        self.stream_id = stream_id
        self.stream_type = stream_type
        self.stream_sequence = stream_sequence


class TeamsStream:
    def __init__(self, turn_context: TurnContext, *, enabled: bool, clock: Any = time.monotonic,
                 inform_after_s: float = INFORM_AFTER_S) -> None:
        self._ctx = turn_context
        self.enabled = enabled
        self._clock = clock
        self._inform_after_s = inform_after_s
        self._pending: asyncio.Task[None] | None = None  # the informative update, scheduled
        self._pending_text = ""
        self._informing = False  # the scheduled update is being sent (too late to cancel)
        self.shown = False  # the user has seen something of this turn (typing, informative update, a chunk)
        self.stream_id: str | None = None
        self._sequence = 0
        self._last_sent = 0.0
        self._started = 0.0
        self.stopped = False  # the user pressed Stop (403), or the stream ran too long
        self.chunks_sent = 0

    def inform_soon(self, text: str) -> None:
        """Schedule the first visible response (see ``INFORM_AFTER_S``); ``update``/``finish`` settle it."""
        self._pending_text = text
        self._pending = asyncio.create_task(self._inform_later(text))

    def discard(self) -> None:
        """The turn is over: a scheduled update that has not started is not sent."""
        if self._pending is not None and not self._pending.done() and not self._informing:
            self._pending.cancel()
        self._pending = None

    async def _inform_later(self, text: str) -> None:
        await asyncio.sleep(self._inform_after_s)
        self._informing = True
        await self.inform(text)

    async def _settle(self, *, inform_now: bool) -> None:
        """Wait for a scheduled update being sent; one not started is dropped, or sent now if ``inform_now``."""
        task, self._pending = self._pending, None
        if task is None:
            return
        if not task.done() and not self._informing:
            task.cancel()
            await asyncio.wait([task])
            if inform_now:
                await self.inform(self._pending_text)
            return
        await asyncio.wait([task])
        if not task.cancelled() and task.exception() is not None:  # the answer may still get through: send it plain
            log.warning("informative update failed", extra={"error": type(task.exception()).__name__})
            self.enabled, self.stream_id = False, None

    async def inform(self, text: str) -> None:
        """The first visible response: an informative update (streaming) or a typing indicator (elsewhere)."""
        if not self.enabled:
            await self._ctx.send_activity(Activity(type=ActivityTypes.typing))
            self.shown = True
            return
        self._started = self._clock()
        response = await self._send_typing(text, "informative")
        self.shown = response is not None
        self.stream_id = response.id if response is not None else None
        if self.stream_id is None:
            self.enabled = False  # the channel did not start a stream: fall back to a plain reply

    async def update(self, cumulative_text: str) -> None:
        """A chunk with all the text so far; skipped when too soon after the last one."""
        if self._pending is not None and cumulative_text.strip():
            await self._settle(inform_now=True)  # text is coming: open the stream first
        if not self.enabled or self.stopped or self.stream_id is None or not cumulative_text.strip():
            return
        now = self._clock()
        if now - self._started > MAX_DURATION_S:
            self.stopped = True
            return
        if now - self._last_sent < MIN_INTERVAL_S:
            return
        await self._send_typing(cumulative_text, "streaming")
        self.chunks_sent += 1

    async def finish(self, activity: Activity) -> None:
        """Send the final message; in a stream it closes the stream (same id)."""
        await self._settle(inform_now=False)
        if self.enabled and self.stream_id is not None and not self.stopped:
            activity.entities = [*(activity.entities or []),
                                 StreamInfoEntity(stream_type="final", stream_id=self.stream_id)]
        if self.stopped and self.stream_id is not None:
            log.info("stream stopped by the user; final message not sent")
            return
        await self._ctx.send_activity(activity)

    async def _send_typing(self, text: str, stream_type: str) -> Any:
        self._sequence += 1
        entity = StreamInfoEntity(stream_type=stream_type, stream_id=self.stream_id, stream_sequence=self._sequence)
        activity = Activity(type=ActivityTypes.typing, text=text, entities=[entity])
        self._last_sent = self._clock()
        try:
            return await self._ctx.send_activity(activity)
        except Exception as exc:
            if _status(exc) == 403:
                self.stopped = True
                log.info("stream cancelled by the user")
                return None
            raise


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)
