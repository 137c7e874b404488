"""An export's delivery: the card with its signed download link (everywhere), and the Teams file-consent card that
saves it to the user's OneDrive (1:1 chats only), then the file-info card shown once it is uploaded.

Shapes from Microsoft's Teams docs ("Send and receive files using bot"): a ``FileConsentCard`` attachment
(``application/vnd.microsoft.teams.card.file.consent``) with the file name, ``description``, ``sizeInBytes`` and the
contexts Teams sends back on *Allow* / *Decline*; a ``FileInfoCard`` (``application/vnd.microsoft.teams.card.file.
info``) naming the uploaded file by its ``contentUrl``, ``uniqueId`` and ``fileType``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards.elements import card, facts, heading, text
from bot.cards.inputs import execute
from domain.exports import FORMAT_NAMES, ExportPending, ExportReady

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
CONTEXT_KEY = "export"  # in the consent card's accept/decline context: the export's signed token
CONFIRM_VERBS = {"widget": "export.widget", "fitness_results": "export.fitness"}
CANCEL = "export.cancel"
MAX_FIELDS = 30


def export_ready_card(ready: ExportReady, time_zone: str = "UTC") -> dict[str, Any]:
    kind = FORMAT_NAMES.get(ready.fmt, ready.fmt.upper())
    details = [("File", ready.file_name), ("Size", _size(ready.size_bytes))]
    if ready.rows is not None:
        details.append(("Rows", str(ready.rows)))
    details += [("Students named", str(ready.student_count)), ("Link expires", _when(ready.expires_at, time_zone)),
                ("Audit reference", ready.audit_ref)]
    return card(
        [heading(f"{kind} ready: {ready.title}"), facts(details),
         text("The link was made for you and stops working when it expires; anyone you pass it to could open the "
              "file until then. It contains student records: keep it confidential and don't forward it.",
              subtle=True)],
        [{"type": "Action.OpenUrl", "title": f"Download {kind}", "url": ready.url}],
    )


def export_confirm_card(pending: ExportPending) -> dict[str, Any]:
    """A large export, before it is made: how many students and rows, which fields; *Make the file* repeats the
    request with the count (the service makes it only if the count is still the same), *Cancel* makes nothing."""
    kind = FORMAT_NAMES.get(pending.fmt, pending.fmt.upper())
    shown = list(pending.fields[:MAX_FIELDS]) + ([f"and {len(pending.fields) - MAX_FIELDS} more"]
                                                 if len(pending.fields) > MAX_FIELDS else [])
    details = [("File", pending.file_name), ("Students named", str(pending.student_count))]
    if pending.rows is not None:
        details.append(("Rows", str(pending.rows)))
    details.append(("Fields", ", ".join(shown) or "the card's figures"))
    again = {k: v for k, v in pending.again.items() if k != "report" and v is not None}
    confirm = execute(f"Make the file ({pending.student_count} students)",
                      CONFIRM_VERBS.get(str(pending.again.get("report")), "export.widget"),
                      {**again, "confirmed": pending.student_count}, inputs="none", style="positive")
    cancel = execute("Cancel", CANCEL, {"title": pending.title[:120], "format": pending.fmt,
                                        "students": pending.student_count}, inputs="none")
    return card(
        [heading(f"Confirm a large export: {pending.title}"), facts(details),
         text(f"This {kind} file would name {pending.student_count} students (more than {pending.threshold}). "
              "Nothing has been made yet: check that you need all of them before you confirm.", subtle=True)],
        [confirm, cancel],
    )


def file_consent_attachment(ready: ExportReady) -> dict[str, Any]:
    context = {CONTEXT_KEY: ready.token}
    return {
        "contentType": FILE_CONSENT,
        "name": ready.file_name,
        "content": {
            "description": f"{ready.title} ({FORMAT_NAMES.get(ready.fmt, ready.fmt)}). Contains student records.",
            "sizeInBytes": ready.size_bytes,
            "acceptContext": context,
            "declineContext": context,
        },
    }


def consent_attachments(display: list[Any]) -> list[dict[str, Any]]:
    """The file-consent cards for the exports among an agent reply's results."""
    return [file_consent_attachment(item) for item in display if isinstance(item, ExportReady)]


def file_info_attachment(name: str, content_url: str, unique_id: str, file_type: str) -> dict[str, Any]:
    return {"contentType": FILE_INFO, "contentUrl": content_url, "name": name,
            "content": {"uniqueId": unique_id, "fileType": file_type}}


def _size(size: int) -> str:
    return f"{size} bytes" if size < 1024 else f"{size / 1024:.1f} KB" if size < 1024 * 1024 \
        else f"{size / 1024 / 1024:.1f} MB"


def _when(moment: datetime, time_zone: str) -> str:
    try:
        local = moment.astimezone(ZoneInfo(time_zone))
    except (KeyError, ValueError):
        local = moment
    return f"{local:%a %b %-d, %H:%M %Z}"
