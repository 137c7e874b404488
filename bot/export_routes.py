"""GET /exports/{token}: an export file from its signed link (a widget's CSV/XLSX/PDF, an incident report, a class's
fitness results). The token is the only credential (the link opens in a browser, outside the bot's authentication):
signed, bound to the export and the staff member it was made for, expiring (``domain.exports.links``); the file is
kept only until then. Unknown, tampered, expired, deleted and another staff member's all answer the same 404.
Every download is audited (``export.download``)."""

from __future__ import annotations

from aiohttp import web

from bot.routes import ICS_HEADERS
from domain.exports import ExportService

EXPORTS = web.AppKey("exports", ExportService)
EXPORT_HEADERS = {**ICS_HEADERS, "Content-Security-Policy": "default-src 'none'; sandbox"}

export_routes = web.RouteTableDef()


@export_routes.get(r"/exports/{token:[A-Za-z0-9._-]{1,200}}")
async def export_file(request: web.Request) -> web.Response:
    exports = request.app.get(EXPORTS)
    found = await exports.open(request.match_info["token"]) if exports is not None else None
    if found is None:
        return web.json_response({"error": "not found"}, status=404, headers=EXPORT_HEADERS)
    safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in found.file_name)[:150] or "export"
    return web.Response(body=found.data, headers={
        **EXPORT_HEADERS, "Content-Type": found.media_type,
        "Content-Disposition": f'attachment; filename="{safe_name}"'})
