"""An in-process crash for relay tests: a fault hook that raises ``Crash`` (a BaseException, so no relay code
catches it, as nothing runs after a SIGKILL) at one point of the outbox's send (``after_connector``: Teams accepted,
nothing recorded; ``after_send``: Teams accepted and the journal written, the row not yet marked sent)."""

from __future__ import annotations

from domain.outbox import Fault


class Crash(BaseException):
    pass


def crash_at(point: str) -> Fault:
    def fault(reached: str) -> None:
        if reached == point:
            raise Crash(point)
    return fault
