"""The start-up ingest of ``python -m bot run`` with an OpenAI key: its embedding client is closed before its event
loop ends, so nothing is logged as "Task exception was never retrieved … Event loop is closed" (seen on every start
before). Run in a process of its own, as ``bot run`` does, against the scripted OpenAI embeddings endpoint."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import pytest

from devtools.fakes.openai_embeddings import ScriptedEmbeddings

SCRIPT = """
import asyncio, logging
logging.basicConfig(level=logging.INFO)
from bot.__main__ import _ingest_corpus
from domain.settings import Settings
asyncio.run(_ingest_corpus(Settings()))


async def serve():  # what `bot run` does next: the app's event loop, in which leftovers of the ingest are collected
    import gc
    gc.collect()
    for _ in range(20):
        await asyncio.sleep(0)

asyncio.run(serve())
import gc; gc.collect()
print("ingest finished", flush=True)
"""


@pytest.fixture
async def embeddings() -> AsyncIterator[ScriptedEmbeddings]:
    server = await ScriptedEmbeddings().start()
    yield server
    await server.close()


async def test_the_startup_ingest_closes_its_embedding_client(empty_db_url: str,
                                                               embeddings: ScriptedEmbeddings) -> None:
    env = {**os.environ, "DATABASE_URL": empty_db_url, "OPENAI_API_KEY": "sk-test",
           "OPENAI_BASE_URL": embeddings.base_url, "REDIS_URL": ""}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", SCRIPT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    errors = err.decode()
    assert proc.returncode == 0 and "ingest finished" in out.decode(), errors[-2000:]
    assert embeddings.received, "the ingest embedded through the scripted endpoint"
    assert "knowledge base:" in errors
    assert "Event loop is closed" not in errors and "never retrieved" not in errors, errors[-2000:]
