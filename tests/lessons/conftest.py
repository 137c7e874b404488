"""Lesson fixtures: the curriculum corpus ingested with the real MiniLM model (cloned from the knowledge tests'
database when this session already built it), the demo district for saving plans, and per-turn deps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.actor import Actor
from domain.db import make_engine, make_sessionmaker
from domain.identity import IdentityService
from domain.incidents import IncidentService
from domain.lessons import LessonService
from domain.students import StudentService
from knowledge import CORPUS_DIR
from knowledge.lesson_builder import LessonWriter, OfflineLessonWriter
from knowledge.lesson_planning import LessonPlanner
from knowledge.retriever import Retriever
from tools.base import ToolDeps

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
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


class Deps:
    """Builds per-turn deps the way the handler does (a fresh citation book per turn)."""

    def __init__(self, sessions: Any, retriever: Retriever, lessons: LessonService) -> None:
        self.sessions, self.retriever, self.lessons = sessions, retriever, lessons
        self.writer: LessonWriter = OfflineLessonWriter()

    def __call__(self, who: Actor, writer: LessonWriter | None = None) -> ToolDeps:
        writer = writer or self.writer
        services = SimpleNamespace(students=StudentService(self.sessions), incidents=IncidentService(self.sessions),
                                   knowledge=self.retriever, lessons=self.lessons, lesson_writer=writer,
                                   lesson_planner=LessonPlanner(self.retriever, writer, self.lessons))
        return ToolDeps(actor=who, services=services, now=NOW)  # type: ignore[arg-type]


@pytest.fixture
def deps(demo_sessions: Any, retriever: Retriever, lessons: LessonService) -> Deps:
    return Deps(demo_sessions, retriever, lessons)
