"""What an admin reads about a SharePoint sync they started in Teams: the result sent to their 1:1 chat when the
background job finishes (``knowledge.sharepoint_jobs``)."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, heading, text
from knowledge.sharepoint import SyncReport
from knowledge.sharepoint_jobs import SyncNotice

MAX_NAMED = 10  # files not read, named one per line; the rest counted


def report_text(report: SyncReport) -> str:
    """Teams markdown: the folder's counts, then each file that could not be read with the reason."""
    if report.failed:
        return f"**{report.folder}**: the sync stopped — {report.failed}."
    lines = [f"**{report.folder}**: {len(report.added)} added, {len(report.updated)} updated, "
             f"{len(report.retired)} retired, {report.unchanged} unchanged."]
    lines += [f"- not read: {e}" for e in report.errors[:MAX_NAMED]]
    if len(report.errors) > MAX_NAMED:
        lines.append(f"- and {len(report.errors) - MAX_NAMED} more files not read")
    return "\n".join(lines)


def notice_text(notice: SyncNotice) -> str:
    if notice.problem:
        return f"The SharePoint sync of **{notice.label}** did not run: {notice.problem}."
    if not notice.reports:
        return f"The SharePoint sync of **{notice.label}** found no approved folder."
    return "\n\n".join(report_text(r) for r in notice.reports)


def sync_notice_card(notice: SyncNotice) -> dict[str, Any]:
    return card([heading("SharePoint sync finished"), text(notice_text(notice), markdown=True)])


def sync_notice_preview(notice: SyncNotice) -> str:
    """The notification line: the folder and whether anything failed, no file names."""
    failed = notice.problem or any(r.failed or r.errors for r in notice.reports)
    return f"SharePoint sync of {notice.label} finished" + (" with problems" if failed else "")
