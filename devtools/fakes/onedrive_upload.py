"""A fake OneDrive upload session (what a Teams file-consent ``uploadInfo.uploadUrl`` points at): records every PUT
(path, ``Content-Range``, ``Content-Length``, body) and answers 201 with a small driveItem, as Graph's upload session
does for the last (here the only) range; ``fail_with`` makes the next PUT answer an error instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from devtools.fakes.loopback import LoopbackServer


@dataclass
class Upload:
    path: str
    content_range: str | None
    content_length: str | None
    body: bytes


@dataclass
class FakeUploadSession(LoopbackServer):
    client_max_size = 50 * 1024 * 1024
    uploads: list[Upload] = field(default_factory=list)
    fail_with: int | None = None

    def url(self, name: str) -> str:
        return self._url(f"/upload/{name}")

    def _routes(self, app: web.Application) -> None:
        app.router.add_put("/upload/{name}", self._put)

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.uploads.append(Upload(request.path, request.headers.get("Content-Range"),
                                   request.headers.get("Content-Length"), body))
        if self.fail_with is not None:
            status, self.fail_with = self.fail_with, None
            return web.json_response({"error": {"code": "generalException"}}, status=status)
        item: dict[str, Any] = {"id": "01FAKEITEM", "name": request.match_info["name"], "size": len(body)}
        return web.json_response(item, status=201)
