"""The bot process's garbage-collector policy: freeze the start-up heap once the process is ready.

CPython's cyclic collector periodically walks every tracked container object. A full (generation 2) collection in a
running bot visited the ~230k objects that start-up leaves behind (modules, SQLAlchemy and botbuilder metadata,
pydantic schemas, the embedder's tokenizer) and took 70–150 ms on the 2-core CI machine, stalling every turn in
flight. ``freeze_startup_heap`` collects once and moves the survivors to the permanent generation
(``gc.freeze``): later full collections walk only what turns allocated (3–5 ms measured). Frozen objects are never
collected, which is what start-up state living as long as the process needs; garbage created later is collected as
before. Measured with ``bench.turns`` (see README, "What a turn costs").
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def freeze_startup_heap() -> int:
    """Collect, then freeze what survives; returns the number of frozen objects."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("start-up heap frozen", extra={"objects": frozen, "ms": round((time.perf_counter() - started) * 1000)})
    return frozen
