"""One plain-HTTP aiohttp server on 127.0.0.1 with a free port, for the fakes that need no TLS.

A fake says which routes it serves in ``_routes``; ``start`` and ``close`` are the same for all of them.
"""

from __future__ import annotations

from typing import Self

from aiohttp import web
from aiohttp.test_utils import TestServer


class LoopbackServer:
    client_max_size = 1024**2  # aiohttp's default request body limit; a fake receiving files raises it
    _server: TestServer | None = None

    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def _url(self, path: str) -> str:
        assert self._server is not None, "start() the fake first"
        return str(self._server.make_url(path))

    async def start(self) -> Self:
        app = web.Application(client_max_size=self.client_max_size)
        self._routes(app)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
