"""An admin sends a document (PDF, Word, markdown or text) to Faraday in a 1:1 chat; the answer is a preview card
showing what was read, with the metadata to confirm (kind, audience, grade band, version, review date) and Add /
Cancel.

Teams delivers a file (manifest ``supportsFiles``) as an attachment of type
``application/vnd.microsoft.teams.file.download.info`` whose ``content.downloadUrl`` is a short-lived, pre-authorised
OneDrive/SharePoint link. The caller's role is checked (``KnowledgeUploads.check_allowed``) before anything is
downloaded; the download goes only to allow-listed hosts, follows no redirects and stops at the size limit. The
buttons are handled in ``bot.actions.knowledge``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from botbuilder.schema import Activity

from bot.actions.knowledge import ADD_VERB, CANCEL_VERB, VIA
from bot.actions.outcome import CardOutcome
from bot.cards.elements import card, facts, heading, text
from bot.cards.inputs import choice, execute, field, text_input
from bot.channel.policy import LOOPBACK_HOSTS, host_in
from domain.actor import Actor
from domain.errors import DomainError, InvalidInput
from knowledge.metadata import AUDIENCES, KIND_LABELS
from knowledge.parsed import page_label
from knowledge.uploads import MAX_UPLOAD_BYTES, KnowledgeUploads, UploadPreview, check_file_name

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
NOT_DOWNLOADED = "I couldn't download that file (the link may have expired). Please send it again."
ONE_AT_A_TIME = "Please send one document at a time."


@dataclass(frozen=True, slots=True)
class SentFile:
    name: str
    download_url: str


def sent_files(activity: Activity) -> list[SentFile]:
    """The files attached to a message (Teams file-download attachments only; inline images and cards are not)."""
    found = []
    for item in activity.attachments or []:
        content = item.content if isinstance(item.content, dict) else {}
        url = content.get("downloadUrl")
        if item.content_type == FILE_DOWNLOAD_INFO and isinstance(url, str) and url:
            found.append(SentFile(name=str(item.name or "document"), download_url=url))
    return found


class FileFetcher:
    """Downloads a sent file from an allow-listed host over HTTPS (plain HTTP only to loopback, in dev mode)."""

    def __init__(self, allowed_hosts: tuple[str, ...], *, allow_loopback_http: bool = False,
                 max_bytes: int = MAX_UPLOAD_BYTES, timeout_s: float = 10.0) -> None:
        self._hosts = allowed_hosts + (LOOPBACK_HOSTS if allow_loopback_http else ())
        self._loopback_http = allow_loopback_http
        self._max = max_bytes
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    def with_limit(self, max_bytes: int) -> FileFetcher:
        """The same hosts and rules with another size limit (a roster .zip is larger than a document)."""
        twin = FileFetcher((), allow_loopback_http=self._loopback_http, max_bytes=max_bytes)
        twin._hosts, twin._timeout = self._hosts, self._timeout
        return twin

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme != "https" and not (self._loopback_http and parts.scheme == "http" and host in LOOPBACK_HOSTS):
            return False
        return host_in(host, self._hosts)

    async def fetch(self, url: str) -> bytes:
        if not self.allowed(url):
            raise InvalidInput("That file link doesn't come from Teams, so I didn't open it.")
        too_large = InvalidInput(f"That file is too large; the limit is {_size(self._max)}.")
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as http, \
                    http.get(url, allow_redirects=False) as response:
                if response.status != 200:
                    raise InvalidInput(NOT_DOWNLOADED)
                if (response.content_length or 0) > self._max:
                    raise too_large
                data = bytearray()
                async for block in response.content.iter_chunked(64 * 1024):
                    data.extend(block)
                    if len(data) > self._max:
                        raise too_large
        except (aiohttp.ClientError, TimeoutError):
            raise InvalidInput(NOT_DOWNLOADED) from None
        return bytes(data)


async def upload_reply(files: list[SentFile], actor: Actor, uploads: KnowledgeUploads,
                       fetcher: FileFetcher) -> CardOutcome:
    """Check the caller, download the one file, validate it and answer with its preview card."""
    try:
        await uploads.check_allowed(actor, via=VIA)
        if len(files) != 1:
            return CardOutcome(text=ONE_AT_A_TIME)
        check_file_name(files[0].name)
        data = await fetcher.fetch(files[0].download_url)
        preview = await uploads.preview(actor, files[0].name, data, via=VIA)
    except DomainError as exc:
        return CardOutcome(text=str(exc))
    return CardOutcome(text="Check the document, then add it to the knowledge base.", cards=[preview_card(preview)])


def preview_card(preview: UploadPreview) -> dict[str, Any]:
    """What was read (title, pages, sections, first lines) and the metadata inputs, with any errors per field."""
    parsed, v, e = preview.parsed, preview.values, preview.errors
    shown_format = {"pdf": "PDF", "docx": "Word", "markdown": "Markdown", "text": "Plain text"}[parsed.format]
    read = [("File", preview.file_name), ("Read as", shown_format)]
    if parsed.pages:
        read.append(("Pages", str(parsed.pages)))
    read.append(("Sections", f"{len(preview.sections)}: " + ", ".join(preview.sections[:8])
                 + (" …" if len(preview.sections) > 8 else "")))
    first = parsed.first_lines()
    body: list[dict[str, Any]] = [heading("Add to the knowledge base?"), facts(read)]
    if first:
        body.append(text(" / ".join(first), subtle=True))
    pages = [s.pages for s in parsed.sections if s.pages]
    if pages:
        body.append(text(f"Citations will name the page, e.g. “{parsed.title}, §{parsed.sections[0].heading}, "
                         f"{page_label(pages[0])}”.", subtle=True))
    kinds = list(KIND_LABELS.items())
    audiences = list(AUDIENCES.items())
    if v.get("audience") and v["audience"] not in AUDIENCES:
        audiences.append((v["audience"], v["audience"]))
    body += [
        *field(text_input("title", "Title", v, max_length=300, required=True), e.get("title")),
        *field(choice("kind", "Kind", kinds, v.get("kind", ""), required=True), e.get("kind")),
        *field(choice("audience", "Audience", audiences, v.get("audience", "all-staff"), required=True),
               e.get("audience")),
        *field(text_input("grade_band", "Grade band (K-12, 6-8, 7)", v, max_length=20, required=True),
               e.get("grade_band")),
        *field(text_input("version", "Version", v, max_length=20, required=True), e.get("version")),
        *field({**text_input("reviewed_by", "Reviewed by", v, max_length=200, required=True)}, e.get("reviewed_by")),
        *field({"type": "Input.Date", "id": "reviewed_on", "label": "Review date", "isRequired": True,
                "errorMessage": "Required.", "value": v.get("reviewed_on", "")}, e.get("reviewed_on")),
    ]
    if preview.replaces_version is not None:
        body.append(text(f"This replaces the uploaded version {preview.replaces_version} of this document."))
    if v.get("approved", "true").lower() in ("false", "no", "0"):
        body.append(text("It is marked approved: false, so it will be stored but not used in answers."))
    data = {"upload_id": preview.upload_id}
    actions = [execute("Add to knowledge base", ADD_VERB, data, inputs="auto", style="positive"),
               execute("Cancel", CANCEL_VERB, data, inputs="none")]
    return card(body, actions)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"
