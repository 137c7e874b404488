"""The fake Microsoft identity platform + a fake Graph SharePoint document library (v1.0) over TLS: a site by its
host and path, its libraries (drives), items by path, the drive's delta query (pages of ``page_size`` linked by
``@odata.nextLink``, ending in an ``@odata.deltaLink`` whose token names the change it has seen) and file content
(``/content`` answers 302 to a pre-authenticated download URL on the same server, as Graph does). Every request is
recorded; faults (429/503 with Retry-After) are queued per route as in ``devtools.fakes.graph``. Like SharePoint's
delta, a deleted item comes back with a ``deleted`` facet and no name. The files' contents are the tests'."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from devtools.fakes.graph import FakeMicrosoft

SITE_ID = "contoso.sharepoint.com,5a58bb09-1fba-41c1-8125-69da264370a0,9f2ec1da-0be4-4a74-9254-973f0add78fd"
DRIVE_ID = "b!CbtYWrofwUGBJWnaJkNwoNrBLp_kC3RKklSXPwrdeP3yH8_qmH9xT5Y6RODPNfYu"


@dataclass
class Item:
    id: str
    name: str
    parent: str | None  # None for the library's root
    data: bytes | None = None  # None for a folder
    deleted: bool = False
    seq: int = 0  # the change that last touched it
    edits: int = 1

    def json(self) -> dict[str, Any]:
        if self.deleted:
            return {"id": self.id, "deleted": {"state": "deleted"},
                    "parentReference": {"driveId": DRIVE_ID, "id": self.parent}}
        body: dict[str, Any] = {"id": self.id, "name": self.name, "eTag": f'"{{{self.id}}},{self.edits}"',
                                "lastModifiedDateTime": "2026-11-30T09:00:00Z",
                                "lastModifiedBy": {"user": {"displayName": "District Office"}}}
        if self.parent is None:
            body["root"] = {}
        else:
            body["parentReference"] = {"driveId": DRIVE_ID, "id": self.parent}
        if self.data is None:
            body["folder"] = {"childCount": 0}
        else:
            digest = base64.b64encode(hashlib.sha1(self.data).digest()).decode()  # a content tag
            body |= {"size": len(self.data), "file": {"mimeType": "application/octet-stream",
                                                      "hashes": {"quickXorHash": digest}}}
        return body


@dataclass
class Library:
    items: dict[str, Item] = field(default_factory=dict)
    seq: int = 0


class FakeDriveGraph(FakeMicrosoft):
    def __init__(self, directory: Path, page_size: int = 2,
                 site_path: str = "contoso.sharepoint.com:/sites/PE") -> None:
        super().__init__(directory, mailboxes=set())
        self.page_size = page_size
        self.site_path = site_path
        self.library = Library()
        self.library.items["root"] = Item("root", "root", None)
        self._item_ids = itertools.count(1)
        # a slow library: while set and not released, every download waits (``hold_downloads``)
        self.download_gate: asyncio.Event | None = None

    def hold_downloads(self) -> asyncio.Event:
        """Downloads wait until the returned event is set (a library slow to serve its files)."""
        self.download_gate = asyncio.Event()
        return self.download_gate

    def _routes(self, app: web.Application) -> None:
        app.router.add_get("/v1.0/sites/{rest:.*}", self._sites)
        app.router.add_get("/v1.0/drives/{drive}/{rest:.*}", self._drive)
        app.router.add_get("/download/{item}", self._download)

    # --- test controls -------------------------------------------------------------------------------------------
    def put(self, path: str, data: bytes | None = None) -> str:
        """Create or overwrite a file (``data``) or create a folder (None) at ``path``; parents are created."""
        parent = "root"
        parts = [p for p in path.split("/") if p]
        for depth, name in enumerate(parts):
            last = depth == len(parts) - 1
            found = self._child(parent, name)
            if found is None:
                found = Item(f"item-{next(self._item_ids)}", name, parent, data if last else None)
                self.library.items[found.id] = found
                self._touch(found)
            elif last and data is not None and found.data != data:
                found.data, found.edits = data, found.edits + 1
                self._touch(found)
            parent = found.id
        return parent

    def delete(self, path: str) -> None:
        item = self._at(path)
        if item is None:
            raise KeyError(path)
        item.deleted = True
        self._touch(item)

    def downloads(self) -> list[str]:
        return [r.path for r in self.requests if r.path.endswith("/content") or r.path.startswith("/download/")]

    # --- routes --------------------------------------------------------------------------------------------------
    async def _sites(self, request: web.Request) -> web.Response:
        refusal = await self._check(request)
        if refusal is not None:
            return refusal
        rest = unquote(request.match_info["rest"])
        site = {"id": SITE_ID, "displayName": "PE Department", "webUrl": "https://contoso.sharepoint.com/sites/PE"}
        if rest in (self.site_path, SITE_ID):
            return web.json_response(site)
        if rest == f"{SITE_ID}/drives":
            return web.json_response({"value": [self._drive_json()]})
        if rest == f"{SITE_ID}/drive":
            return web.json_response(self._drive_json())
        return _not_found()

    async def _drive(self, request: web.Request) -> web.Response:
        refusal = await self._check(request)
        if refusal is not None:
            return refusal
        if request.match_info["drive"] != DRIVE_ID:
            return _not_found()
        rest = unquote(request.match_info["rest"])
        if rest == "root/delta":
            return self._delta(request)
        if rest == "root":
            return web.json_response(self.library.items["root"].json())
        if rest.startswith("root:"):
            item = self._at(rest.removeprefix("root:").rstrip(":"))
            return web.json_response(item.json()) if item is not None else _not_found()
        if rest.startswith("items/") and rest.endswith("/content"):
            found = self.library.items.get(rest.split("/")[1])
            if found is None or found.deleted or found.data is None:
                return _not_found()
            raise web.HTTPFound(f"{self.url}/download/{found.id}?sig=preauth-{found.edits}")
        return _not_found()

    async def _download(self, request: web.Request) -> web.Response:
        await self._record(request)
        if self.download_gate is not None:
            await self.download_gate.wait()
        fault = await self._maybe_fault(request)
        if fault is not None:
            return fault
        found = self.library.items.get(request.match_info["item"])
        if found is None or found.data is None or request.headers.get("Authorization"):
            return _not_found()  # a pre-authenticated URL: a bearer token is not expected there
        return web.Response(body=found.data, content_type="application/octet-stream")

    # --- helpers -----------------------------------------------------------------------------------------------
    def _delta(self, request: web.Request) -> web.Response:
        since = int(request.query.get("token", "0"))
        changed = sorted((i for i in self.library.items.values() if i.seq > since), key=lambda i: i.seq)
        skip = int(request.query.get("$skiptoken", "0"))
        base = f"{self.url}/v1.0/drives/{DRIVE_ID}/root/delta"
        body: dict[str, Any] = {"value": [i.json() for i in changed[skip: skip + self.page_size]]}
        if skip + self.page_size < len(changed):
            body["@odata.nextLink"] = f"{base}?token={since}&$skiptoken={skip + self.page_size}"
        else:
            body["@odata.deltaLink"] = f"{base}?token={self.library.seq}"
        return web.json_response(body)

    async def _check(self, request: web.Request) -> web.Response | None:
        recorded = await self._record(request)
        token = recorded.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._tokens:
            return web.json_response({"error": {"code": "InvalidAuthenticationToken", "message": "no"}}, status=401)
        return await self._maybe_fault(request)

    def _drive_json(self) -> dict[str, Any]:
        return {"id": DRIVE_ID, "name": "Documents", "driveType": "documentLibrary"}

    def _touch(self, item: Item) -> None:
        self.library.seq += 1
        item.seq = self.library.seq

    def _child(self, parent: str, name: str) -> Item | None:
        return next((i for i in self.library.items.values()
                     if i.parent == parent and i.name == name and not i.deleted), None)

    def _at(self, path: str) -> Item | None:
        item: Item | None = self.library.items["root"]
        for name in (p for p in path.split("/") if p):
            item = self._child(item.id, name) if item is not None else None
        return item


def _not_found() -> web.Response:
    return web.json_response({"error": {"code": "itemNotFound", "message": "not found"}}, status=404)
