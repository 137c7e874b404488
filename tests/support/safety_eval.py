"""Issue #19's evaluation: in-the-moment safety answers and routing, on the held-out and dev sets.

    python -m tests.support.safety_eval [--set heldout|heldout3|...|heldout16|dev|both] [--only safety|routing] [--misses] [--json]

A throwaway embedded PostgreSQL gets the demo district and the bundled corpus (MiniLM); every question runs through
the real agent loop with the offline planner as Alex Wilber (tools executed, nothing confirmed).

Safety (``tests/agent_data/safety_*.json``):
- covered: passes when the reply's first citation (the answer's source) is a section of the labelled document and the
  reply text contains that document's immediate action: the item's ``must_contain`` when given, else the first step
  line of the labelled ``section`` (its first list item, or its first sentence when it has no list), compared with
  markdown emphasis and whitespace removed, case-insensitive.
- uncovered: passes when the reply says the district's documents don't cover it (or that no district document covers
  it) and cites nothing as the answer (no citation at all, or only ones the reply offers after "Related:").
Items flagged ``incident`` also report whether an incident card (the log_incident proposal) came with the answer, and
whether the card or the *Log incident* button the bot adds after a safety protocol search did (the issue's "or").

Routing (``tests/agent_data/routing_*.json``): the tool calls the offline planner plans for the first step (as
``python -m bot plan`` does) must be exactly the labelled ones: ``tool`` with ``args`` (scored by planner_eval's
``lenient_args_match``, plus ``location`` loosely when labelled) and every ``and_tools`` entry, each matched by a distinct
call; extra calls are allowed only for tools in ``also_ok``. A no-tool label passes when nothing is planned.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parent.parent / "agent_data"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
ALEX_EMAIL = "alexw@example.com"
ABSTAIN = re.compile(r"\b(documents?|protocols?)\s+(don'?t|do not|doesn'?t|does not)\s+cover\b|"
                     r"\bno district (document|protocol)\b|couldn'?t find a district document", re.I)
RELATED = re.compile(r"\bRelated:", re.I)


def load(name: str) -> list[dict[str, Any]]:
    return json.loads((DATA / name).read_text())["items"]


# --- the immediate action of a labelled section ---------------------------------------------------------------------
def _flat(text: str) -> str:
    text = re.sub(r"\*\*|__|`", "", text)
    return " ".join(text.split()).lower()


def step_line(doc_slug: str, section: str) -> str:
    """The first list item of the section (its first sentence when it has no list), as written in the document."""
    from knowledge import CORPUS_DIR
    from knowledge.chunking import sections
    from knowledge.documents import load_document

    path = next(CORPUS_DIR.rglob(f"{doc_slug}.md"))
    body = dict(sections(load_document(path)))[section]
    for line in body.splitlines():
        match = re.match(r"^\s*(?:\d+\.|[-*])\s+(.*)$", line)
        if match:
            return match.group(1).strip()
    first = re.split(r"(?<=[.!?])\s+", " ".join(body.split()), maxsplit=1)[0]
    return first


def expected_text(item: dict[str, Any]) -> str:
    return item.get("must_contain") or step_line(item["doc"], item["section"])


# --- scoring ---------------------------------------------------------------------------------------------------------
@dataclass
class Tally:
    total: Counter[str] = field(default_factory=Counter)
    ok: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def add(self, key: str, passed: bool, miss: str) -> None:
        self.total[key] += 1
        if passed:
            self.ok[key] += 1
        else:
            self.misses.append(miss)

    def rate(self, key: str | None = None) -> float:
        if key is None:
            return sum(self.ok.values()) / max(1, sum(self.total.values()))
        return self.ok[key] / max(1, self.total[key])

    def table(self, title: str) -> str:
        rows = [title, f"  {'group':<22}{'n':>5}{'pass':>6}{'rate':>8}"]
        for key in sorted(self.total):
            rows.append(f"  {key:<22}{self.total[key]:>5}{self.ok[key]:>6}{self.rate(key):>8.2f}")
        rows.append(f"  {'all':<22}{sum(self.total.values()):>5}{sum(self.ok.values()):>6}{self.rate():>8.2f}")
        return "\n".join(rows)

    def as_dict(self) -> dict[str, Any]:
        return {"all": round(self.rate(), 4), "n": sum(self.total.values()), "pass": sum(self.ok.values()),
                "groups": {k: {"n": self.total[k], "pass": self.ok[k]} for k in sorted(self.total)},
                "misses": self.misses}


def judge_safety(item: dict[str, Any], text: str, citations: list[Any], display: list[Any]) -> tuple[bool, str]:
    """(passed, why) for one safety answer."""
    if item["expected"] == "uncovered":
        said = bool(ABSTAIN.search(text))
        related_at = RELATED.search(text)
        answer_part = text[: related_at.start()] if related_at else text
        cited_as_answer = bool(citations) and (not related_at or bool(re.search(r"\[\d+\]", answer_part)))
        if said and not cited_as_answer:
            return True, ""
        return False, "no abstention" if not said else "cited a document as the answer"
    want = _flat(expected_text(item))
    first_doc = citations[0].chunk_id.split("#", 1)[0] if citations else None
    if first_doc != item["doc"]:
        return False, f"first citation {first_doc!r}"
    if want not in _flat(text):
        return False, "immediate action not in the reply"
    return True, ""


def has_incident_card(display: list[Any]) -> bool:
    return any(type(d).__name__ == "IncidentProposal" for d in display)


def offers_log_incident(reply: Any) -> bool:
    """Whether the bot shows the reply with the *Log incident* suggested action (after a safety protocol search)."""
    from bot.turns.replies import follow_ups

    offered = follow_ups(reply)
    return offered is not None and any(a.title == "Log incident" for a in offered.actions)


def _loose_location(label: object, got: object) -> bool:
    from domain.names import normalize

    a, b = set(normalize(str(label or "")).split()), set(normalize(str(got or "")).split())
    return bool(a & b)


def judge_routing(item: dict[str, Any], calls: list[tuple[str, dict[str, Any]]]) -> bool:
    # The routing sets label only the arguments that decide the routing (the student, a search's kind, a lesson's
    # grade/topic, an event's start, a widget's class), as planner_eval's lenient scorer reads them: its strict scorer
    # (the alias ``args_match`` since the tests27 merge) fails every search labelled without a query and every
    # incident whose slots (activity, type) the label leaves empty, which is not what these sets measure.
    from tests.support.planner_eval import lenient_args_match as args_match

    if item["tool"] is None:
        return not calls
    required = [(item["tool"], item.get("args") or {})] + [(t["tool"], t.get("args") or {}) for t in item.get("and_tools") or []]
    left = list(calls)
    for tool, args in required:
        found = next((i for i, (name, got) in enumerate(left) if name == tool and args_match(tool, args, got)
                      and (tool != "schedule_event" or not args.get("location")
                           or _loose_location(args["location"], got.get("location")))), None)
        if found is None:
            return False
        left.pop(found)
    return all(name in (item.get("also_ok") or []) for name, _ in left)


# --- running ----------------------------------------------------------------------------------------------------------
async def _world(url: str) -> dict[str, Any]:
    from agent.loop import Agent
    from agent.offline.planner import OfflinePlanner
    from domain.calendar.factory import build_event_service
    from domain.calendar.proposals import EventProposer
    from domain.db import make_engine, make_sessionmaker
    from domain.identity import IdentityService
    from domain.incidents import IncidentService
    from domain.lessons import LessonService
    from domain.settings import Settings
    from domain.students import StudentService
    from domain.widgets import WidgetService
    from knowledge.embedders import MiniLMEmbedder
    from knowledge.lesson_builder import OfflineLessonWriter
    from knowledge.lesson_planning import LessonPlanner
    from knowledge.retriever import Retriever
    from tools.base import Services
    from tools.registry import TOOLS

    engine = make_engine(url, pool_size=4)
    sessions = make_sessionmaker(engine)
    actor = await IdentityService(sessions).by_email(ALEX_EMAIL)
    assert actor is not None, "the demo district has no Alex Wilber"
    settings = Settings(database_url=url, openai_api_key="")
    students, retriever = StudentService(sessions), Retriever(sessions, MiniLMEmbedder())
    events = build_event_service(settings, sessions)
    lessons, writer = LessonService(sessions), OfflineLessonWriter()
    services = Services(
        students=students, incidents=IncidentService(sessions), knowledge=retriever, events=events,
        widgets=WidgetService(sessions), lessons=lessons, lesson_writer=writer,
        lesson_planner=LessonPlanner(retriever, writer, lessons), event_proposals=EventProposer(events, students),
    )
    return {"engine": engine, "sessions": sessions, "actor": actor, "services": services,
            "agent": Agent(backend=OfflinePlanner(), tools=TOOLS), "planner": OfflinePlanner()}


async def run_safety(world: dict[str, Any], items: list[dict[str, Any]]) -> tuple[Tally, Tally]:
    from tools.base import ToolDeps

    tally, cards = Tally(), Tally()
    for item in items:
        deps = ToolDeps(actor=world["actor"], services=world["services"], now=NOW)
        reply = await world["agent"].run(item["text"], deps)
        passed, why = judge_safety(item, reply.text, reply.citations, reply.display)
        key = item["doc"] if item["expected"] == "covered" else "uncovered"
        first = reply.text.replace("\n", " ")[:160]
        tally.add("covered" if item["expected"] == "covered" else "uncovered", passed,
                  f"#{item['id']} [{key}] {item['text']!r}: {why} -> {first!r}")
        if item.get("incident"):
            card = has_incident_card(reply.display)
            cards.add("incident card", card, f"#{item['id']} {item['text']!r}: no incident card")
            cards.add("card or Log incident button", card or offers_log_incident(reply),
                      f"#{item['id']} {item['text']!r}: neither an incident card nor a Log incident button")
    return tally, cards


async def run_routing(world: dict[str, Any], items: list[dict[str, Any]]) -> Tally:
    from agent.model import PlanningContext
    from agent.prompt import system_prompt
    from domain.students import StudentService
    from tools.registry import openai_specs

    tally = Tally()
    students = StudentService(world["sessions"])
    roster = await students.parsing_names(world["actor"])

    async def names() -> Any:
        return roster

    ctx = PlanningContext(actor=world["actor"], now=NOW, roster=names)
    specs = openai_specs()
    for item in items:
        messages = [{"role": "system", "content": system_prompt(world["actor"], NOW)},
                    {"role": "user", "content": item["text"]}]
        reply = await world["planner"].complete(messages, specs, ctx)
        calls = [(c.name, json.loads(c.arguments)) for c in reply.tool_calls]
        tally.add(item.get("category") or "other", judge_routing(item, calls),
                  f"#{item['id']} {item['text']!r}: want {item['tool']} {item.get('args')} + "
                  f"{[t['tool'] for t in item.get('and_tools') or []]}, got {calls}")
    return tally


def _prepare() -> tuple[Any, str]:
    from devtools.embedded_servers import EmbeddedPostgres
    from domain import migrate
    from domain.db import make_engine, make_sessionmaker
    from domain.seed import seed_demo
    from knowledge import CORPUS_DIR
    from knowledge.embedders import MiniLMEmbedder, load_encoder
    from knowledge.ingest import ingest

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="faraday-safety-eval-")) / "pg", database="safety_eval")
    server.start()
    url = server._server.get_uri("safety_eval")
    migrate.upgrade(url)
    load_encoder()

    async def fill() -> None:
        engine = make_engine(url, pool_size=2)
        try:
            sessions = make_sessionmaker(engine)
            await seed_demo(sessions)
            report = await ingest(sessions, MiniLMEmbedder(), CORPUS_DIR)
            assert not report.errors, report.errors
        finally:
            await engine.dispose()

    asyncio.run(fill())
    return server, url


async def evaluate(url: str, sets: list[str], only: str | None) -> dict[str, Any]:
    world = await _world(url)
    out: dict[str, Any] = {}
    try:
        for name in sets:
            if only in (None, "safety"):
                tally, cards = await run_safety(world, load(f"safety_{name}.json"))
                out[f"safety_{name}"] = {"tally": tally, "cards": cards}
            if only in (None, "routing"):
                file = {"heldout": "routing_heldout2.json", "dev": "routing_dev.json"}.get(name)
                if file is not None:  # safety_heldout3 to 16 have no routing set of their own
                    out[file.removesuffix(".json")] = {"tally": await run_routing(world, load(file))}
    finally:
        await world["engine"].dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.safety_eval", description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("heldout", *(f"heldout{n}" for n in range(3, 17)), "dev", "both"), default="both")
    parser.add_argument("--only", choices=("safety", "routing"))
    parser.add_argument("--misses", action="store_true", help="list every failing item")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sets = ["heldout", "dev"] if args.set == "both" else [args.set]
    server, url = _prepare()
    try:
        results = asyncio.run(evaluate(url, sets, args.only))
    finally:
        server.stop()
    if args.json:
        print(json.dumps({k: {n: t.as_dict() for n, t in v.items()} for k, v in results.items()}, indent=1))
        return 0
    for name, parts in results.items():
        for part, tally in parts.items():
            print(tally.table(f"{name} ({part})"))
            if args.misses:
                print("\n".join("    " + m for m in tally.misses))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
