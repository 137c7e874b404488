"""Offline safety answers: server-side latency (query embedding included) next to a peer from the same run, and the
input tokens of every model call in typical turns with all tools offered.

``.venv/bin/python -m bench.safety [--repeats 3]``

Latency: a whole agent turn (``Agent.run`` with the offline planner, as the bot runs it, without the Teams edge):
the planner embeds the message (MiniLM) and plans, ``search_knowledge`` retrieves (a second MiniLM embedding, the
hybrid search) and reads the answer document's sections, and the reply is composed. Ours: in-the-moment situations
(``tests/agent_data/safety_dev.json``, covered ones). Peer: the plain protocol questions of the labelled utterance set
(``tests/agent_data/utterances.json``, ``search_knowledge``) through the same loop. The two alternate message by
message so load from other processes hits both alike; p50/p95 per repeat, the median over repeats shown.

Tokens: each model call's input is what the OpenAI backend sends: the system prompt, the conversation so far (user
message, assistant tool calls, tool results) and every tool's schema. tiktoken is not installed in the venv and its
encodings are downloaded from the internet, so tokens are approximated as characters / 4 of the JSON request body
(OpenAI's rule of thumb for English; the issue's "~2.7k tokens of tool schemas" is the same measure). The turns are
driven by the offline planner, so the tool results are the real ones a model would receive; the first step offers
the tools the message can need (``tools.offer``), later steps what can follow (``tools.registry.follow_up_tools``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parent.parent / "tests" / "agent_data"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
TOKEN_TURNS = [
    ("safety situation", "a student collapsed on the track and isn't breathing"),
    ("incident + protocol", "Jamie Ortiz rolled her ankle in basketball, looks minor"),
    ("protocol question", "what's our lightning rule?"),
    ("student look-up", "show me Zoe Muller"),
    ("class widget", "who's been missing class in period 3"),
    ("lesson plan", "plan a 45 minute volleyball lesson for grade 7"),
    ("event", "schedule a parent meeting next Tuesday at 3:30pm"),
]


class Recording:
    """Wraps a backend and records the size of every request it would send to a model. Named as a model (not
    "offline"), so the agent offers it what it offers a model: on the first step only the tools the message can
    need (``tools.offer``); the offline planner inside then plans from those, as a model would have to."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.sizes = inner, "recording", []

    async def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], ctx: Any,
                       on_text: Any = None) -> Any:
        self.sizes.append(len(json.dumps({"messages": messages, "tools": tools}, default=str)))
        return await self.inner.complete(messages, tools, ctx, on_text)


def tokens(chars: int) -> int:
    return round(chars / 4)


def _texts() -> tuple[list[str], list[str]]:
    ours = [i["text"] for i in json.loads((DATA / "safety_dev.json").read_text())["items"]
            if i["expected"] == "covered"]
    peer = [i["text"] for i in json.loads((DATA / "utterances.json").read_text()) if i["tool"] == "search_knowledge"]
    return ours, peer


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def _run(url: str, repeats: int) -> None:
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
    from tools.base import Services, ToolDeps
    from tools.registry import TOOLS

    engine = make_engine(url, pool_size=4)
    try:
        sessions = make_sessionmaker(engine)
        actor = await IdentityService(sessions).by_email("alexw@example.com")
        assert actor is not None
        embedder = MiniLMEmbedder()
        await embedder.warm_up()
        students, retriever = StudentService(sessions), Retriever(sessions, embedder)
        events, lessons, writer = build_event_service(Settings(database_url=url), sessions), LessonService(sessions), \
            OfflineLessonWriter()
        services = Services(
            students=students, incidents=IncidentService(sessions), knowledge=retriever, events=events,
            widgets=WidgetService(sessions), lessons=lessons, lesson_writer=writer,
            lesson_planner=LessonPlanner(retriever, writer, lessons), event_proposals=EventProposer(events, students),
        )
        agent = Agent(backend=OfflinePlanner(), tools=TOOLS)
        ours, peer = _texts()
        for text in ours[:3] + peer[:3]:  # warm caches (situation examples, roster, statements)
            await agent.run(text, ToolDeps(actor=actor, services=services, now=NOW))
        rows = {"ours": [], "peer": []}
        for _ in range(repeats):
            times: dict[str, list[float]] = {"ours": [], "peer": []}
            for i in range(max(len(ours), len(peer))):
                for key, texts in (("ours", ours), ("peer", peer)):
                    text = texts[i % len(texts)]
                    started = time.perf_counter()
                    await agent.run(text, ToolDeps(actor=actor, services=services, now=NOW))
                    times[key].append((time.perf_counter() - started) * 1000)
            for key in rows:
                rows[key].append(_percentiles(times[key]))
        print(f"offline turn latency, ms (median of {repeats} repeats; {len(ours)} situations, {len(peer)} questions "
              "per repeat)")
        print(f"  {'':<42}{'p50':>8}{'p95':>8}")
        summary = {}
        for key, label in (("ours", "ours: in-the-moment safety answer"),
                           ("peer", "peer: plain knowledge search turn")):
            p50 = statistics.median(r[0] for r in rows[key])
            p95 = statistics.median(r[1] for r in rows[key])
            summary[key] = (p50, p95)
            print(f"  {label:<42}{p50:>8.1f}{p95:>8.1f}")
        print(f"  ratio ours/peer p95: {summary['ours'][1] / summary['peer'][1]:.2f}   target: ours p95 <= 150 ms")

        print("\ninput tokens per model call (chars/4 of the request body; all tools present, offered per turn)")
        schema_chars = len(json.dumps([t.openai_spec() for t in TOOLS.values()], default=str))
        print(f"  tool schemas alone: {tokens(schema_chars)} tokens ({len(TOOLS)} tools)")
        worst = 0
        for label, text in TOKEN_TURNS:
            recorder = Recording(OfflinePlanner())
            done = await Agent(backend=recorder, tools=TOOLS).run(text, ToolDeps(actor=actor, services=services,
                                                                                 now=NOW))
            per_call = [tokens(n) for n in recorder.sizes]
            worst = max(worst, *per_call)
            print(f"  {label:<22} calls {len(per_call)}: " + ", ".join(str(t) for t in per_call)
                  + f"   tools run: {', '.join(c.name for c in done.tool_calls) or 'none'}")
        print(f"  largest call: {worst} tokens   target: <= 3000")
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.safety", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from bench.harness import prepare_database
    from devtools.embedded_servers import EmbeddedPostgres
    from knowledge.embedders import load_encoder

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="faraday-bench-safety-")) / "pg", database="bench_safety")
    server.start()
    try:
        url = server._server.get_uri("bench_safety")
        load_encoder()
        asyncio.run(prepare_database(url, knowledge=True))
        asyncio.run(_run(url, args.repeats))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
