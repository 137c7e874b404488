"""export_data: a file of what the user may read — a widget's table (CSV/Excel) or card (PDF), a class's fitness
results for the state report, an incident's one-page PDF report — delivered as a signed link and, in a 1:1 chat,
Teams' offer to save it to OneDrive."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.exports import FORMAT_NAMES, ExportPending, ExportReady
from domain.widgets import WIDGET_NAMES, WidgetRequest
from tools.base import ExportsAccess, ToolDeps, ToolResult, tool

Report = Literal[
    "attendance", "teams", "skill_gaps", "fitness_trends", "safety_risks", "equipment", "class_insights",
    "incident_summary", "participation", "assessment_status", "drivers_ed_progress", "adaptive_pe",
    "fitness_results", "incident_report",
]
EXTRA_REPORTS = {
    "fitness_results": "every fitness-test result of one class, per student, for the state report",
    "incident_report": "one incident's printable report (PDF; needs incident_id)",
}


class ExportDataArgs(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    report: Report = Field(description="A widget's name as in run_widget (its table as CSV/Excel, its card as PDF), or "
                                       + "; ".join(f"{k}: {v}" for k, v in EXTRA_REPORTS.items()))
    format: Literal["csv", "xlsx", "pdf"] | None = Field(
        default=None, description='xlsx for "spreadsheet"/"Excel"; pdf for a printable copy; null: csv')
    class_: str | None = Field(default=None, alias="class", max_length=80,
                               description='The class as the user said it ("period 3", "PE 7"); null for all')
    student: str | None = Field(default=None, max_length=120, description="A student's name, if about one student")
    period_days: int | None = Field(default=None, ge=1, le=365, description="Look-back window in days, if given")
    incident_id: int | None = Field(default=None, ge=1, description="incident_report only: the incident's number")


@tool(ExportDataArgs)
async def export_data(args: ExportDataArgs, deps: ToolDeps[ExportsAccess]) -> ToolResult:
    """A file of data the user may read, when they ask to export or download something or for a spreadsheet, CSV,
    Excel or PDF of it. You get its name and size only: say it is ready on the card; never paste data."""
    exports = deps.services.exports
    if exports is None:
        return ToolResult.error("Exports are not available on this Faraday.")
    ready: ExportReady | ExportPending
    if args.report == "incident_report":
        if args.incident_id is None:
            return ToolResult.error("Which incident? Give its number (e.g. incident 12).")
        ready = await exports.incident_report(deps.actor, args.incident_id, now=deps.now)
    elif args.report == "fitness_results":
        ready = await exports.fitness_results(deps.actor, args.class_, now=deps.now, period_days=args.period_days,
                                              fmt=args.format or "csv")
    else:
        request = WidgetRequest(args.report, args.class_, args.student, args.period_days, None, deps.now.date())
        ready = await exports.widget(deps.actor, request, args.format or "csv", now=deps.now)
    return ToolResult(for_model=for_model(ready), display=[ready])


def for_model(ready: ExportReady | ExportPending) -> dict[str, Any]:
    """Name, format, size and expiry: no data, no link (the card carries it). A large export is not made yet: the
    card asks the user to confirm its count (only their press on the card makes it)."""
    if isinstance(ready, ExportPending):
        return {"file": ready.file_name, "format": ready.fmt, "made": False, "students_named": ready.student_count,
                "rows": ready.rows,
                "summary": f"{ready.title}: this file would name {ready.student_count} students, so nothing has been "
                           "made yet. Check the count and fields on the card, then confirm or cancel there."}
    kind = FORMAT_NAMES.get(ready.fmt, ready.fmt)
    rows = f", {ready.rows} rows" if ready.rows is not None else ""
    return {"file": ready.file_name, "format": ready.fmt, "rows": ready.rows, "bytes": ready.size_bytes,
            "students_named": ready.student_count, "link_expires": ready.expires_at.isoformat(timespec="minutes"),
            "summary": f"{ready.title}: {kind} file ready ({ready.file_name}{rows}). Download it from the card; the "
                       "link was made for the user, expires, and must not be shared."}


if set(Report.__args__) != set(WIDGET_NAMES) | set(EXTRA_REPORTS):  # type: ignore[attr-defined]
    raise RuntimeError("export_data's enum and the widget registry disagree")
