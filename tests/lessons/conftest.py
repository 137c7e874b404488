"""Lesson fixtures: the curriculum corpus ingested with the real MiniLM model (cloned from the knowledge tests'
database when this session already built it), the demo district for saving plans, and per-turn deps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from domain.actor import Actor
from domain.db import make_engine, make_sessionmaker
from domain.identity import IdentityService
from domain.lessons import LessonService
from knowledge import CORPUS_DIR
from knowledge.retriever import Retriever
from tests.support.lessons import Deps

LESSON_DB = "kb_lessons"
CORPUS = CORPUS_DIR


@pytest.fixture(scope="session")
def lesson_corpus_url(postgres, full_template: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The whole corpus with MiniLM embeddings (a clone of the session's one ingest), read-only."""
    postgres.psql(f"CREATE DATABASE {LESSON_DB} TEMPLATE {full_template}")
    yield postgres._server.get_uri(LESSON_DB)
    postgres.psql(f"DROP DATABASE IF EXISTS {LESSON_DB} WITH (FORCE)")


@pytest.fixture
async def retriever(lesson_corpus_url: str) -> AsyncIterator[Retriever]:
    from knowledge.embedders import MiniLMEmbedder

    engine = make_engine(lesson_corpus_url, pool_size=2)
    yield Retriever(make_sessionmaker(engine), MiniLMEmbedder())
    await engine.dispose()


@pytest.fixture
def lessons(demo_sessions: Any) -> LessonService:
    return LessonService(demo_sessions)


async def actor(sessions: Any, email: str) -> Actor:
    found = await IdentityService(sessions).by_email(email)
    assert found is not None
    return found


@pytest.fixture
async def alex(demo_sessions: Any) -> Actor:
    return await actor(demo_sessions, "alexw@example.com")


@pytest.fixture
async def isaiah(demo_sessions: Any) -> Actor:
    return await actor(demo_sessions, "isaiahl@example.com")


@pytest.fixture
def deps(demo_sessions: Any, retriever: Retriever, lessons: LessonService) -> Deps:
    return Deps(demo_sessions, retriever, lessons)
