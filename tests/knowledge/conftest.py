"""Knowledge fixtures: one MiniLM model per session, one fully ingested corpus database per session (read-only
tests share it), small throwaway corpora for tests that change things, and a counting fake embedder."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from domain.db import make_engine, make_sessionmaker
from knowledge import CORPUS_DIR
from knowledge.embedders import MiniLMEmbedder
from tests.support.knowledge import CountingEmbedder

CORPUS = CORPUS_DIR


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    from knowledge.embedders import load_encoder

    load_encoder()
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def corpus_db_url(postgres, full_template: str, minilm: MiniLMEmbedder) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The whole corpus ingested with MiniLM (the session's one ingest, cloned). Tests must not write to it."""
    postgres.psql(f"CREATE DATABASE kb_corpus TEMPLATE {full_template}")
    yield postgres._server.get_uri("kb_corpus")
    postgres.psql("DROP DATABASE IF EXISTS kb_corpus WITH (FORCE)")


@pytest.fixture
async def corpus_sessions(corpus_db_url: str) -> AsyncIterator[object]:
    engine = make_engine(corpus_db_url, pool_size=2)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def sessions(empty_db_url: str) -> AsyncIterator[object]:
    engine = make_engine(empty_db_url, pool_size=2)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three real documents copied to a temp dir (two safety, one curriculum) that a test may edit."""
    root = tmp_path / "corpus"
    for rel in ("safety/concussion-recognition.md", "safety/lightning-severe-weather.md",
                "curriculum/k2-locomotor-skills.md"):
        (root / Path(rel).parent).mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / rel, root / rel)
    return root


@pytest.fixture
def counting() -> CountingEmbedder:
    return CountingEmbedder()
