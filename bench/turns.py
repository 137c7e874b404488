"""Turn cost over real HTTP: Faraday vs the stock botbuilder echo bot (the peer), same run, same fake connector.

``.venv/bin/python -m bench.turns [--turns 400] [--levels 1,20,50] [--model offline|openai] [--no-knowledge]``

Each bot runs in its own **subprocess** (``python -m bench.turns --serve KIND --port P ...``) so the load generator
never starves it. The load generator and a lean fake Bot Connector share this process. Activities are Teams-shaped
(``devtools.fakes.activities``), unauthenticated (dev mode, the same for both bots), every one with a fresh id.

Scenarios (each at concurrency 1, 20, 50; turns/s, p50, p95, p99 client-side latency of POST /api/messages, which
returns only after the turn — replies included — is done):
- ``echo``: ActivityHandler echo + CloudAdapter + ConfigurationBotFrameworkAuthentication, nothing else: the peer.
- ``lookup``: "show me Jamie Ortiz" → auth (dev), dedupe (Valkey), identity, agent loop, lookup_student, Postgres,
  audit row, profile card, streamed in a personal chat (an informative update, then the final message).
- ``knowledge``: "what's the lightning rule" → search_knowledge (MiniLM query embedding + pgvector), cited answer.
- ``widget``: "who's been missing class in period 3" → run_widget attendance, widget card.
Faraday rows run bot/app.py as it is (wired to ``bot.channel.auth.make_authentication``: credentials and connector
clients cached per app id / serviceUrl). Variants: ``+stock`` swaps botbuilder's ConfigurationBotFrameworkAuthentication
back in (clients and credentials rebuilt every turn, as the peer does). ``echo+cache`` is the peer with Faraday's
caching, to show what the peer spends on rebuilding clients. Each level runs ``--turns`` turns (×2 above
concurrency 1) or ``--seconds``. ``--rounds N`` repeats every scenario N times with the bots alternating and pools
the rounds (drift on a shared machine then hits both alike).

Model: by default the offline planner (zero latency, deterministic; the app's own fallback). With ``--model openai``
the real openai SDK streams from a stateless scripted server on loopback (a tool call, then a text answer).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from bench.harness import ROOT, TEXTS, LeanConnector, Servers, model_app

PYTHON = sys.executable
TENANT = "00000000-0000-0000-0000-0000000000001"
ALEX = "00000000-0000-0000-0000-0000000000020"
BOT_ID = "00000000-0000-0000-0000-00000000000011"


# --- activities ------------------------------------------------------------------------------------------------------
_ids = itertools.count(1)


def activity(service_url: str, text: str, conversation: int, aad: str = ALEX) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"bench-{os.getpid()}-{next(_ids)}",
        "timestamp": "2026-11-24T15:00:00.000Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:{aad}", "name": "Alex Wilber", "aadObjectId": aad},
        "recipient": {"id": f"28:{BOT_ID}", "name": "Faraday"},
        "conversation": {"id": f"a:bench-{conversation}", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-US",
        "text": text,
    }


# --- the bot processes ------------------------------------------------------------------------------------------------
def _echo_app(cache: bool) -> web.Application:
    """The stock botbuilder echo sample (aiohttp + CloudAdapter), nothing else."""
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    class Config:
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    class EchoBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))

    if cache:
        from bot.channel.auth import make_authentication
        from domain.settings import Settings

        auth: Any = make_authentication(Settings(faraday_dev_insecure=True, host="127.0.0.1"))
    else:
        auth = ConfigurationBotFrameworkAuthentication(Config())
    adapter = CloudAdapter(auth)
    echo = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, echo)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def _faraday_app(args: argparse.Namespace) -> web.Application:
    import bot.app as bot_app
    from bot.app import create_app
    from domain.seed import TERM_END
    from domain.settings import Settings

    now = datetime.combine(TERM_END, clock_time(15))
    # The per-user rate limit still runs (a Redis round trip per turn) but never refuses: one bench user sends
    # thousands of messages a minute.
    settings = Settings(database_url=args.db, redis_url=args.redis, faraday_dev_insecure=True, host="127.0.0.1",
                        rate_limit_per_minute=10**9, rate_limit_per_hour=10**9)
    if args.stock_auth:  # botbuilder's own authentication: credentials and connector clients rebuilt every turn
        from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication

        from bot.channel.adapter import FaradayAdapter
        from bot.channel.auth import BotFrameworkConfig

        bot_app.make_adapter = lambda s: FaradayAdapter(  # type: ignore[assignment]
            ConfigurationBotFrameworkAuthentication(BotFrameworkConfig(s)))
    backend = None
    if args.model_url:
        from agent.openai_backend import OpenAIBackend

        backend = OpenAIBackend(api_key="bench", base_url=args.model_url, model="bench", timeout_s=5, max_retries=0)
    return create_app(settings, backend=backend, clock=lambda tz: now.replace(tzinfo=ZoneInfo(tz)))


def serve(args: argparse.Namespace) -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    if args.kind == "faraday":
        from bot.process import logs

        logs.configure()  # as in production (python -m bot run)
        logging.getLogger().setLevel(logging.WARNING if args.quiet else logging.INFO)
        app = _faraday_app(args)
    else:
        logging.basicConfig(level=logging.WARNING)
        app = _echo_app(args.cache)

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()

    async def main() -> None:
        if profiler is not None:
            profiler.enable()
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        print("READY", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        await runner.cleanup()

    asyncio.run(main())


class BotProcess:
    def __init__(self, kind: str, *, cache: bool = False, stock_auth: bool = False,
                 db: str = "", redis: str = "", model_url: str = "", quiet: bool = False) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        cmd = [PYTHON, "-m", "bench.turns", "--serve", kind, "--port", str(self.port), "--db", db, "--redis", redis,
               "--model-url", model_url]
        if cache:
            cmd.append("--cache")
        if stock_auth:
            cmd.append("--stock-auth")
        if quiet:
            cmd.append("--quiet")
        if os.environ.get("BENCH_PROFILE_DIR"):  # a cProfile of each server
            cmd += ["--profile", os.path.join(os.environ["BENCH_PROFILE_DIR"], f"{kind}-{self.port}.prof")]
        # stays open as the server's stderr until the process is stopped, so no context manager here
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{kind}-", suffix=".log", delete=False)  # noqa: SIM115
        # our own server: the command is this interpreter, a module of this repo and arguments built here
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True)  # noqa: S603
        self.url = f"http://127.0.0.1:{self.port}/api/messages"

    def wait_ready(self, timeout: float = 60) -> None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.strip() == "READY":
                return
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError(f"bot process did not start; see {self.log.name}")

    def wait_idle(self, threshold: float = 5.0, timeout: float = 90) -> None:
        """Until the server's background start-up work (e.g. loading the MiniLM embedder) has finished."""
        import psutil

        proc = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + timeout
        proc.cpu_percent(None)
        while time.monotonic() < deadline:
            if proc.cpu_percent(interval=1.0) < threshold:
                return

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- load -------------------------------------------------------------------------------------------------------------
@dataclass
class Result:
    scenario: str
    concurrency: int
    turns: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.turns / self.seconds

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


async def drive(session: aiohttp.ClientSession, url: str, service_url: str, text: str, *, turns: int,
                concurrency: int, conversations: int = 100, scenario: str = "", seconds: float = 0.0) -> Result:
    """``turns`` turns, or fewer when ``seconds`` is set and has passed (no new turn starts after it)."""
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    stop_at = time.perf_counter() + seconds if seconds else float("inf")

    async def worker() -> None:
        nonlocal errors
        while (i := next(counter)) < turns and time.perf_counter() < stop_at:
            body = activity(service_url, text, i % conversations)
            t0 = time.perf_counter()
            async with session.post(url, json=body) as r:
                await r.read()
                if r.status >= 300:
                    errors += 1
            latencies.append((time.perf_counter() - t0) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(scenario, concurrency, len(latencies), time.perf_counter() - start, latencies, errors)


# --- report -----------------------------------------------------------------------------------------------------------
def table(results: list[Result], peer: str = "echo") -> str:
    by = {(r.scenario, r.concurrency): r for r in results}
    lines = [f"{'scenario':<18}{'conc':>5}{'turns':>7}{'turns/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
             f"{'err':>5}{'× echo':>9}"]
    for r in results:
        base = by.get((peer, r.concurrency))
        ratio = f"{r.rate / base.rate:.2f}" if base else "-"
        lines.append(f"{r.scenario:<18}{r.concurrency:>5}{r.turns:>7}{r.rate:>9.1f}{r.pct(50):>9.1f}{r.pct(95):>9.1f}"
                     f"{r.pct(99):>9.1f}{r.errors:>5}{ratio:>9}")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> list[Result]:
    levels = [int(x) for x in args.levels.split(",")]
    servers = Servers(knowledge=not args.no_knowledge)
    db, redis = servers.start()
    t0 = time.perf_counter()
    built = await servers.prepare(db)
    print(f"# database {'built' if built else 'reused'} in {time.perf_counter() - t0:.1f} s"
          f" (demo district{'' if args.no_knowledge else ' + corpus'}; {servers.dir})", flush=True)
    connector = await LeanConnector().start()
    model_runner = None
    model_url = ""
    if args.model == "openai":
        model_runner = web.AppRunner(model_app(), access_log=None)
        await model_runner.setup()
        site = web.TCPSite(model_runner, "127.0.0.1", 0)
        await site.start()
        model_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"  # type: ignore[union-attr]
    scenarios = [s.strip() for s in args.scenarios.split(",")]
    if args.no_knowledge:
        scenarios = [s for s in scenarios if not s.startswith("knowledge")]
    results: list[Result] = []
    connector_limit = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector_limit) as session:
        # one process per bot kind/variant; the scenarios of one Faraday variant share it
        groups: dict[tuple[str, str], list[str]] = {}
        for s in scenarios:
            name, _, variant = s.partition("+")
            groups.setdefault(("echo" if name == "echo" else "faraday", variant), []).append(s)
        for (kind, variant), names in [group for _ in range(args.rounds) for group in groups.items()]:
            proc = BotProcess(kind, cache=variant == "cache", stock_auth=variant == "stock",
                              db=db, redis=redis, model_url=model_url, quiet=args.quiet)
            try:
                await asyncio.to_thread(proc.wait_ready)
                for name in names:
                    await asyncio.to_thread(proc.wait_idle)
                    text = TEXTS[name.partition("+")[0]]
                    # warm-up (also loads MiniLM for the knowledge turn) and a correctness check of the reply
                    await drive(session, proc.url, connector.url, text, turns=args.warmup, concurrency=4)
                    await asyncio.to_thread(proc.wait_idle)
                    reply = connector.last.get("a:bench-0", {})
                    shown = (reply.get("text") or "")[:60].replace("\n", " ")
                    kinds = [a.get("contentType", "?").rsplit(".", 1)[-1] for a in reply.get("attachments") or []]
                    print(f"# {name}: reply {shown!r} attachments={kinds}", flush=True)
                    for c in levels:
                        n = args.turns if c == 1 else args.turns * 2
                        r = await drive(session, proc.url, connector.url, text, turns=n, concurrency=c, scenario=name,
                                        seconds=args.seconds)
                        results.append(r)
                        print(table([r]).splitlines()[1], flush=True)
            finally:
                proc.stop()
    await connector.close()
    if model_runner is not None:
        await model_runner.cleanup()
    servers.stop()
    return results


def pooled(results: list[Result]) -> list[Result]:
    """Rounds merged per (scenario, concurrency): all latencies, total turns over total time. With ``--rounds``
    the peer and Faraday alternate, so a machine that drifts during the run slows both alike."""
    merged: dict[tuple[str, int], Result] = {}
    for r in results:
        m = merged.setdefault((r.scenario, r.concurrency), Result(r.scenario, r.concurrency, 0, 0.0, [], 0))
        m.turns += r.turns
        m.seconds += r.seconds
        m.latencies_ms += r.latencies_ms
        m.errors += r.errors
    return list(merged.values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.turns")
    parser.add_argument("--turns", type=int, default=300, help="turns at concurrency 1 (twice as many above)")
    parser.add_argument("--seconds", type=float, default=7.0, help="at most this long per level (0: no limit)")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--levels", default="1,20,50")
    parser.add_argument("--scenarios",
                        default="echo,echo+cache,lookup+stock,lookup,knowledge,widget")
    parser.add_argument("--model", choices=("offline", "openai"), default="offline")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every scenario this many times, alternating bots; the table pools the rounds")
    parser.add_argument("--no-knowledge", action="store_true", help="skip the corpus ingest and the knowledge turn")
    parser.add_argument("--quiet", action="store_true", help="Faraday logs at WARNING instead of INFO")
    # server mode (internal)
    parser.add_argument("--serve", dest="kind", default=None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--db", default="")
    parser.add_argument("--redis", default="")
    parser.add_argument("--model-url", default="")
    parser.add_argument("--cache", action="store_true")
    parser.add_argument("--stock-auth", action="store_true")
    parser.add_argument("--profile", default="", help="server mode: write cProfile stats here on exit")
    args = parser.parse_args(argv)
    if args.kind:
        serve(args)
        return
    started = time.perf_counter()
    results = asyncio.run(run(args))
    print()
    print(f"model: {args.model}; {os.cpu_count()} CPUs; bot in its own process; load generator + fake connector"
          f"{' + model' if args.model == 'openai' else ''} in another")
    if args.rounds > 1:
        print(f"{args.rounds} rounds, bots alternating, pooled:")
    print(table(pooled(results)))
    print(f"# total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
