"""bot/process/heap.py: after start-up the bot's heap is frozen, so full collections walk only what turns allocate, and
garbage made afterwards is still collected. Run in a fresh interpreter: freezing the test process's heap would
prove nothing about the bot's."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import gc, json, weakref
import bot.app  # everything the bot imports at start-up
from bot.process.heap import freeze_startup_heap
before = len(gc.get_objects())
frozen = freeze_startup_heap()
after = len(gc.get_objects())

class Node:
    pass

a, b = Node(), Node()
a.other, b.other = b, a  # a cycle: only the cyclic collector frees it
probe = weakref.ref(a)
del a, b
gc.collect()
print(json.dumps({"before": before, "frozen": frozen, "after": after, "cycle_freed": probe() is None}))
"""


def test_freezing_moves_the_start_up_heap_out_of_collections_and_later_garbage_is_still_freed() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] > 50_000, seen  # the bot's start-up heap is large: that is why full collections were slow
    assert seen["frozen"] >= seen["before"] * 0.9, seen
    assert seen["after"] < 1_000, f"a full collection still walks {seen['after']} objects"
    assert seen["cycle_freed"], "garbage created after the freeze is collected"
