"""Download buttons: a widget card's CSV / Excel / PDF, an incident's PDF report, a class's fitness results for the
state report. Each press makes the file for the presser (their identity, re-checked: a card forwarded to someone
else exports only what that person may read), and answers with the signed link and, since export verbs are never
posted in a shared conversation (``bot/channel/shared_conversations.py``), Teams' file-consent card in the presser's
1:1 chat to save it to their OneDrive.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.actions.outcome import CardOutcome
from bot.cards.export_ready import export_ready_card, file_consent_attachment
from domain.exports import ExportReady
from domain.widgets import WIDGET_NAMES, WidgetRequest
from tools.base import ExportsAccess, ToolDeps

STALE = "That download button is out of date. Ask me for the figures again and use the new card's button."
UNAVAILABLE = "Downloads aren't available here."


class _WidgetPress(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    widget: str = Field(max_length=40)
    class_: str | None = Field(default=None, alias="class", max_length=120)
    student: str | None = Field(default=None, max_length=120)
    period_days: int | None = Field(default=None, ge=1, le=365)
    team_count: int | None = Field(default=None, ge=2, le=8)
    on: date
    format: str = Field(max_length=10)


async def export_widget(value: dict[str, Any], deps: ToolDeps[ExportsAccess]) -> CardOutcome:
    exports = deps.services.exports
    if exports is None:
        return CardOutcome(text=UNAVAILABLE)
    try:
        press = _WidgetPress.model_validate(value)
    except ValidationError:
        return CardOutcome(text=STALE)
    if press.widget not in WIDGET_NAMES:
        return CardOutcome(text=STALE)
    request = WidgetRequest(press.widget, press.class_, press.student, press.period_days, press.team_count, press.on)
    ready = await exports.widget(deps.actor, request, press.format, now=deps.now)
    return delivered(ready, deps)


async def export_incident(value: dict[str, Any], deps: ToolDeps[ExportsAccess]) -> CardOutcome:
    exports = deps.services.exports
    if exports is None:
        return CardOutcome(text=UNAVAILABLE)
    raw = value.get("incident_id")
    if not isinstance(raw, int | str) or not str(raw).isdigit() or len(str(raw)) > 18:
        return CardOutcome(text=STALE)
    return delivered(await exports.incident_report(deps.actor, int(raw), now=deps.now), deps)


async def export_fitness(value: dict[str, Any], deps: ToolDeps[ExportsAccess]) -> CardOutcome:
    exports = deps.services.exports
    if exports is None:
        return CardOutcome(text=UNAVAILABLE)
    class_text = value.get("class")
    fmt = value.get("format") or "csv"
    if not (class_text is None or isinstance(class_text, str)) or not isinstance(fmt, str):
        return CardOutcome(text=STALE)
    ready = await exports.fitness_results(deps.actor, (class_text or None) and class_text[:120], now=deps.now,
                                          fmt=fmt[:10])
    return delivered(ready, deps)


def delivered(ready: ExportReady, deps: ToolDeps[ExportsAccess]) -> CardOutcome:
    """The link card, and the file-consent card (OneDrive) after it."""
    sentence = f"Here is {ready.file_name}."
    return CardOutcome(text=sentence, cards=[export_ready_card(ready, deps.actor.time_zone)],
                       attachments=[file_consent_attachment(ready)])


EXPORT_ACTIONS = {"export.widget": export_widget, "export.incident": export_incident,
                  "export.fitness": export_fitness}
