"""GET /knowledge/files/{token}: the original file of an uploaded document, from a citation's link. The token is the
only credential (the link opens in a browser, outside the bot's authentication): signed, bound to the document's
current version and to the staff member it was issued to, expiring. Unknown, tampered, expired and replaced all
answer the same 404."""

from __future__ import annotations

from aiohttp import web

from knowledge.files import KnowledgeFiles

KNOWLEDGE_FILES = web.AppKey("knowledge_files", KnowledgeFiles)

document_routes = web.RouteTableDef()

HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@document_routes.get(r"/knowledge/files/{token:[A-Za-z0-9._-]{1,200}}")
async def document_file(request: web.Request) -> web.Response:
    files = request.app.get(KNOWLEDGE_FILES)
    found = await files.open(request.match_info["token"]) if files is not None else None
    if found is None:
        return web.json_response({"error": "not found"}, status=404, headers=HEADERS)
    safe_name = "".join(c if c.isalnum() or c in "._- " else "_" for c in found.file_name)[:150] or "document"
    disposition = "inline" if found.media_type == "application/pdf" else "attachment"
    return web.Response(body=found.data, headers={
        **HEADERS, "Content-Type": found.media_type, "Content-Disposition": f'{disposition}; filename="{safe_name}"'})
