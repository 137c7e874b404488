"""The benchmark harness for ``bench.turns`` and ``bench.memory``: embedded PostgreSQL and Valkey with the prepared
demo database, a lean fake Bot Connector, and a stateless scripted OpenAI-compatible model."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from knowledge import CORPUS_DIR

ROOT = Path(__file__).resolve().parent.parent
TEXTS = {
    "echo": "show me Jamie Ortiz",
    "lookup": "show me Jamie Ortiz",
    "knowledge": "what's the lightning rule",
    "widget": "who's been missing class in period 3",
}


@contextlib.contextmanager
def migrated_postgres(database: str = "bench") -> Iterator[str]:
    """An embedded PostgreSQL in a fresh temporary folder, migrated to head; yields its URL, stops it after."""
    from devtools.embedded_servers import EmbeddedPostgres
    from domain import migrate

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="faraday-bench-")) / "pg", database=database)
    url = server.start()
    try:
        migrate.upgrade(url)
        yield url
    finally:
        server.stop()


# --- a lean fake Bot Connector (counts, keeps the last reply per conversation) ----------------------------------------
class LeanConnector:
    def __init__(self, *, fail_every: int = 0) -> None:
        self.sent = 0
        self.updates = 0
        self.last: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> LeanConnector:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.sent += 1
        if body.get("type") == "message":
            self.last[request.match_info["cid"]] = body
        return web.json_response({"id": f"a-{next(self._ids)}"})

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.updates += 1
        if body.get("type") == "message":
            self.last[request.match_info["cid"]] = body
        return web.json_response({"id": request.match_info["aid"]})


# --- a stateless scripted model for --model openai --------------------------------------------------------------------
def model_app() -> web.Application:
    """POST /v1/chat/completions: after a tool result → a short text; otherwise the tool call the user text implies."""
    from devtools.fakes.openai_server import ScriptedOpenAI, Step

    tool_for = {
        TEXTS["lookup"]: ("lookup_student", {"query": "Jamie Ortiz"}),
        TEXTS["knowledge"]: ("search_knowledge", {"query": "lightning rule", "kind": "safety"}),
        TEXTS["widget"]: ("run_widget", {"widget": "attendance", "class": "period 3"}),
    }
    fake = ScriptedOpenAI()

    async def complete(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        messages = body.get("messages") or []
        if messages and messages[-1].get("role") == "tool":
            step = Step(text="Here is what I found.")
        else:
            user = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
            name, args = tool_for.get(user, tool_for[TEXTS["lookup"]])
            step = Step(tool_calls=[(name, args)])
        fake.script = [step]
        fake.received.clear()
        return await fake._complete(request)  # request.json() is cached: no await point before the pop

    app = web.Application()
    app.router.add_post("/v1/chat/completions", complete)
    return app


# --- databases --------------------------------------------------------------------------------------------------------
async def prepare_database(url: str, knowledge: bool) -> None:
    from domain import migrate
    from domain.db import make_engine, make_sessionmaker
    from domain.seed import seed_demo

    await asyncio.to_thread(migrate.upgrade, url)
    engine = make_engine(url, pool_size=2)
    try:
        sessions = make_sessionmaker(engine)
        await seed_demo(sessions)
        if knowledge:
            from knowledge.embedders import MiniLMEmbedder
            from knowledge.ingest import ingest

            report = await ingest(sessions, MiniLMEmbedder(), CORPUS_DIR)
            assert not report.errors, report.errors
    finally:
        await engine.dispose()


def _fingerprint(knowledge: bool) -> str:
    """Changes when the migrations, the seed or the corpus change (then the prepared database is rebuilt)."""
    import hashlib

    h = hashlib.sha256(str(knowledge).encode())
    for folder in ("migrations/versions", "domain/seed", "knowledge/corpus"):
        for f in sorted((ROOT / folder).rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                h.update(f"{f.relative_to(ROOT)}:{f.stat().st_size}:{f.stat().st_mtime_ns}".encode())
    return h.hexdigest()[:12]


class Servers:
    """Embedded PostgreSQL (+pgvector) and Valkey for a benchmark run. The prepared database (demo district, corpus
    ingested with MiniLM: ~100 s on 2 cores) is kept between runs in the system temp dir, keyed by a fingerprint."""

    def __init__(self, knowledge: bool = True) -> None:
        from devtools.embedded_servers import EmbeddedPostgres, EmbeddedRedis

        self.dir = Path(tempfile.gettempdir()) / f"faraday-bench-{_fingerprint(knowledge)}"
        self.dir.mkdir(exist_ok=True)
        self.pg = EmbeddedPostgres(self.dir / "pg" / "data", database="faraday_bench")
        self.valkey = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="faraday-bench-valkey-")))
        self.knowledge = knowledge

    def start(self) -> tuple[str, str]:
        return self.pg.start(), self.valkey.start()

    async def prepare(self, url: str) -> bool:
        marker = self.pg.data_dir / "faraday_bench_ready"
        if marker.exists():
            return False
        self.pg.psql('DROP DATABASE IF EXISTS "faraday_bench" WITH (FORCE)')
        self.pg.psql('CREATE DATABASE "faraday_bench"')
        await prepare_database(url, self.knowledge)
        marker.write_text("ok")
        return True

    def stop(self) -> None:
        self.valkey.stop()
        self.pg.stop()
