"""The dry-run planner behind ``python -m bot plan``: one model step, the tool calls it plans, nothing executed."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from agent.model import ModelBackend, PlanningContext
from agent.offline.planner import OfflinePlanner
from agent.openai_backend import OpenAIBackend
from agent.prompt import system_prompt
from domain.db import make_engine, make_sessionmaker
from domain.identity import IdentityService
from domain.settings import Settings
from domain.students import StudentService
from tools.registry import openai_specs


async def plan_utterance(settings: Settings, email: str, now: datetime | None, utterance: str) -> dict[str, object]:
    engine = make_engine(settings.database_url, pool_size=2)
    backend: ModelBackend = OfflinePlanner() if settings.offline else OpenAIBackend.from_settings(settings)
    try:
        sessions = make_sessionmaker(engine)
        actor = await IdentityService(sessions).by_email(email)
        if actor is None:
            return {"error": f"no active staff member with e-mail {email}"}
        when = now or datetime.now(ZoneInfo(actor.time_zone))
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(actor.time_zone))
        students = StudentService(sessions)
        ctx = PlanningContext(actor=actor, now=when, roster=lambda: students.parsing_names(actor))
        messages = [
            {"role": "system", "content": system_prompt(actor, when)},
            {"role": "user", "content": utterance},
        ]
        reply = await backend.complete(messages, openai_specs(), ctx)
        return {
            "backend": backend.name,
            "tool_calls": [{"name": c.name, "arguments": json.loads(c.arguments)} for c in reply.tool_calls],
            "reply": reply.content,
        }
    finally:
        if isinstance(backend, OpenAIBackend):
            await backend.close()
        await engine.dispose()
