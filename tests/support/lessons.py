"""Lesson test helpers: per-turn deps built the way the handler builds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.actor import Actor
from domain.incidents import IncidentService
from domain.lessons import LessonService
from domain.students import StudentService
from knowledge.lesson_builder import LessonWriter, OfflineLessonWriter
from knowledge.lesson_planning import LessonPlanner
from knowledge.retriever import Retriever
from tools.base import LessonsAccess, ToolDeps

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Chicago"))


@dataclass(frozen=True)
class LessonServices:
    """The services ``plan_lesson`` reads (``tools.base.LessonsAccess``) and the look-ups around it."""

    students: StudentService
    incidents: IncidentService
    knowledge: Retriever
    lessons: LessonService
    lesson_writer: LessonWriter
    lesson_planner: LessonPlanner
    files: None = None


class Deps:
    """Builds per-turn deps the way the handler does (a fresh citation book per turn)."""

    def __init__(self, sessions: Any, retriever: Retriever, lessons: LessonService) -> None:
        self.sessions, self.retriever, self.lessons = sessions, retriever, lessons
        self.writer: LessonWriter = OfflineLessonWriter()

    def __call__(self, who: Actor, writer: LessonWriter | None = None) -> ToolDeps[LessonsAccess]:
        writer = writer or self.writer
        services = LessonServices(students=StudentService(self.sessions), incidents=IncidentService(self.sessions),
                                  knowledge=self.retriever, lessons=self.lessons, lesson_writer=writer,
                                  lesson_planner=LessonPlanner(self.retriever, writer, self.lessons))
        return ToolDeps(actor=who, services=services, now=NOW)
