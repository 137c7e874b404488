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
from bot.cards.elements import card, text
from bot.cards.export_ready import export_confirm_card, export_ready_card, file_consent_attachment
from domain.exports import ExportPending, ExportReady
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
    confirmed: int | None = Field(default=None, ge=0, le=10_000_000)  # a large export's count, as confirmed


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
    ready = await exports.widget(deps.actor, request, press.format, now=deps.now, confirmed=press.confirmed)
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
    period, confirmed = _number(value.get("period_days")), _number(value.get("confirmed"))
    if not (class_text is None or isinstance(class_text, str)) or not isinstance(fmt, str) or period is False \
            or confirmed is False or (isinstance(period, int) and not 1 <= period <= 365):
        return CardOutcome(text=STALE)
    ready = await exports.fitness_results(deps.actor, (class_text or None) and class_text[:120], now=deps.now,
                                          fmt=fmt[:10], period_days=period or None, confirmed=confirmed or None)
    return delivered(ready, deps)


async def cancel_export(value: dict[str, Any], deps: ToolDeps[ExportsAccess]) -> CardOutcome:
    """*Cancel* on a large export's confirmation: nothing is made; the cancel is audited."""
    exports = deps.services.exports
    if exports is not None:
        await exports.cancel(deps.actor, {k: str(value.get(k) or "")[:120] for k in ("title", "format", "students")},
                             via="card:export")
    return CardOutcome(text="Cancelled: no file was made.", cards=[card([text("Export cancelled. No file was made.")])])


def _number(raw: Any) -> int | None | bool:
    """A card's whole number; None when absent; False when malformed."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit() or len(str(raw)) > 9:
        return False
    return int(raw)


def delivered(ready: ExportReady | ExportPending, deps: ToolDeps[ExportsAccess]) -> CardOutcome:
    """The link card, and the file-consent card (OneDrive) after it; for a large export, the confirmation card."""
    if isinstance(ready, ExportPending):
        return CardOutcome(text=pending_sentence(ready), cards=[export_confirm_card(ready)])
    sentence = f"Here is {ready.file_name}."
    return CardOutcome(text=sentence, cards=[export_ready_card(ready, deps.actor.time_zone)],
                       attachments=[file_consent_attachment(ready)])


def pending_sentence(pending: ExportPending) -> str:
    return (f"That file would name {pending.student_count} students: check the count and fields on the card, then "
            "confirm to make it. Nothing has been made yet.")


EXPORT_ACTIONS = {"export.widget": export_widget, "export.incident": export_incident,
                  "export.fitness": export_fitness, "export.cancel": cancel_export}
