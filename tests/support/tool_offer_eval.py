"""Does the first step offer the model the tools a message needs (``tools.offer``), and what does the offer cost?

    python -m tests.support.tool_offer_eval [--set labelled|heldout|both] [--misses]

For every utterance of the routing sets, the labelled tool (and every ``and_tools`` entry) must be among the offered
schemas: a model cannot call a tool it was not offered, so this is the model path's routing ceiling. Cost: the input
tokens of that first call (chars / 4 of the JSON request body: system prompt, message, offered schemas, as
``bench/safety.py`` counts them), median, p95 and largest. No database or model needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parent.parent / "agent_data"
LABELLED = ["utterances.json", "routing_dev.json", "records_utterances.json", "exports_utterances.json",
            "message_home_utterances.json"]
HELDOUT = ["utterances_heldout.json", "routing_heldout2.json", "records_utterances_heldout.json",
           "exports_utterances_heldout.json", "message_home_heldout.json"]
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


def items(name: str) -> list[dict[str, Any]]:
    data = json.loads((DATA / name).read_text())
    return data["items"] if isinstance(data, dict) else data


def needed(item: dict[str, Any]) -> set[str]:
    tools = {item["tool"]} if item.get("tool") else set()
    return tools | {t["tool"] for t in item.get("and_tools") or []}


def _system() -> str:
    from agent.prompt import system_prompt
    from domain.actor import Actor, Role

    actor = Actor(staff_id=1, tenant_id="t", aad_object_id="a", display_name="Alex Wilber", email="alexw@example.com", role=Role.teacher,
                  school_id=1, school_name="Lincoln Middle School", time_zone="America/Chicago")
    return system_prompt(actor, NOW)


def first_call_tokens(text: str, offered: set[str], system: str) -> int:
    from tools.registry import TOOLS

    messages = [{"role": "system", "content": system}, {"role": "user", "content": text}]
    specs = [t.openai_spec() for name, t in TOOLS.items() if name in offered]
    return round(len(json.dumps({"messages": messages, "tools": specs}, default=str)) / 4)


def evaluate(names: list[str]) -> dict[str, Any]:
    from tools.offer import first_step_tools

    system = _system()
    out: dict[str, Any] = {}
    for name in names:
        rows = items(name)
        misses, costs = [], []
        for item in rows:
            offered = first_step_tools([item["text"]])
            costs.append(first_call_tokens(item["text"], offered, system))
            if not needed(item) <= offered:
                misses.append(f"#{item['id']} {item['text']!r}: needs {sorted(needed(item) - offered)}")
        costs.sort()
        out[name] = {"n": len(rows), "offered_ok": len(rows) - len(misses), "misses": misses,
                     "tokens_p50": costs[len(costs) // 2], "tokens_p95": costs[round(0.95 * (len(costs) - 1))],
                     "tokens_max": costs[-1]}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.tool_offer_eval")
    parser.add_argument("--set", choices=("labelled", "heldout", "both"), default="both")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args(argv)
    names = {"labelled": LABELLED, "heldout": HELDOUT, "both": LABELLED + HELDOUT}[args.set]
    from tools.registry import TOOLS

    print(f"all {len(TOOLS)} tools offered: {first_call_tokens('a typical message of a few words', set(TOOLS), _system())}"
          " tokens on a first call")
    print(f"{'set':<36}{'n':>5}{'offered':>9}{'tok p50':>9}{'p95':>6}{'max':>6}")
    for name, r in evaluate(names).items():
        print(f"{name:<36}{r['n']:>5}{r['offered_ok']:>9}{r['tokens_p50']:>9}{r['tokens_p95']:>6}{r['tokens_max']:>6}")
        if args.misses and name in LABELLED:  # held-out misses are counted, never listed: nothing to tune on
            print("\n".join("    " + m for m in r["misses"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
