"""Teams' file-consent flow for exports (1:1 chats): the user pressed *Allow* or *Decline* on a FileConsentCard.

The invoke is ``fileConsent/invoke`` with ``value = {type: "fileUpload", action: "accept" | "decline", context:
<the card's acceptContext / declineContext>, uploadInfo: {name, uploadUrl, contentUrl, uniqueId, fileType}}``.
On *Allow*: the export named by the signed token in the context is fetched for the person who pressed (only the staff
member it was made for; ``ExportService.for_upload``), PUT to ``uploadUrl`` in one request with ``Content-Range``
(an upload session in the user's OneDrive), and a FileInfoCard naming the new file is posted. On *Decline*: a line
saying nothing was saved. The invoke is always answered 200; what went wrong is said in the chat.

``uploadUrl`` comes from Teams over an authenticated request, but it is still checked against
``EXPORT_UPLOAD_HOSTS`` (HTTPS; plain HTTP only to loopback in dev mode) before any student data is sent to it.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from botbuilder.core import InvokeResponse, MessageFactory, TurnContext

from bot.cards.export_ready import CONTEXT_KEY, file_info_attachment
from bot.channel.policy import LOOPBACK_HOSTS, host_in
from domain.actor import Actor
from domain.exports import ExportService

log = logging.getLogger(__name__)

DECLINED = "OK, I didn't save {name} to your OneDrive. The download link on the card still works until it expires."
GONE = "That file has expired or wasn't made for you, so nothing was uploaded. Ask me for it again."
NOT_UPLOADED = "I couldn't save {name} to your OneDrive (Teams' upload didn't go through). The download link on " \
               "the card still works."
UPLOADED = "Saved to your OneDrive."
MAX_NAME = 160


class FileConsent:
    def __init__(self, exports: ExportService | None, upload_hosts: tuple[str, ...], *,
                 allow_loopback_http: bool = False, timeout_s: float = 20.0) -> None:
        self._exports = exports
        self._hosts = upload_hosts + (LOOPBACK_HOSTS if allow_loopback_http else ())
        self._loopback_http = allow_loopback_http
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" and not (self._loopback_http and parts.scheme == "http"
                                            and host in LOOPBACK_HOSTS):
            return False
        return bool(host) and host_in(host, self._hosts)

    async def handle(self, turn_context: TurnContext, actor: Actor | None) -> InvokeResponse:
        value = _dict(turn_context.activity.value)
        token = _dict(value.get("context")).get(CONTEXT_KEY)
        token = token if isinstance(token, str) else ""
        info = _dict(value.get("uploadInfo"))
        name = str(info.get("name") or "the file")[:MAX_NAME]
        if actor is None or self._exports is None:
            return InvokeResponse(status=200)
        if value.get("action") == "decline":
            await turn_context.send_activity(DECLINED.format(name=name))
            return InvokeResponse(status=200)
        if value.get("action") != "accept":
            return InvokeResponse(status=400)
        exported = await self._exports.for_upload(actor, token)
        if exported is None:
            await turn_context.send_activity(GONE)
            return InvokeResponse(status=200)
        upload_url = str(info.get("uploadUrl") or "")
        if not self.allowed(upload_url) or not await self._put(upload_url, exported.data):
            await turn_context.send_activity(NOT_UPLOADED.format(name=name))
            return InvokeResponse(status=200)
        reply = MessageFactory.text(UPLOADED)
        reply.attachments = [file_info_attachment(name, str(info.get("contentUrl") or ""),
                                                  str(info.get("uniqueId") or ""),
                                                  str(info.get("fileType") or name.rsplit(".", 1)[-1]))]
        await turn_context.send_activity(reply)
        return InvokeResponse(status=200)

    async def _put(self, url: str, data: bytes) -> bool:
        headers = {"Content-Length": str(len(data)), "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as http, \
                    http.put(url, data=data, headers=headers, allow_redirects=False) as response:
                if response.status in (200, 201):
                    return True
                log.warning("file-consent upload refused", extra={"status": response.status})
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("file-consent upload failed", extra={"error": type(exc).__name__})
        return False


def _dict(raw: object) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}
