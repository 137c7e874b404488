"""open_form: show a blank form (incident report, lesson request, event) for the user to fill in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.base import IncidentsAccess, ToolDeps, ToolResult, tool

FormKind = Literal["incident", "lesson", "event"]


@dataclass(frozen=True, slots=True)
class BlankForm:
    kind: FormKind | None  # None: the menu of forms
    key: str  # idempotency key of the form's submission
    now: datetime


class OpenFormArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form: FormKind | None = Field(default=None, description="Which form; null shows the menu of forms")


@tool(OpenFormArgs)
async def open_form(args: OpenFormArgs, deps: ToolDeps[IncidentsAccess]) -> ToolResult:
    """Show the user a blank form: an incident report, a lesson request or an event. Use it when the user asks
    for a form, or asks to log an incident / plan a lesson / schedule an event without giving the details."""
    form = BlankForm(kind=args.form, key=deps.services.incidents.new_key(), now=deps.now)
    label = {"incident": "incident report", "lesson": "lesson request", "event": "event"}.get(args.form or "", "forms")
    return ToolResult(for_model={"status": "shown", "form": label}, display=[form])
