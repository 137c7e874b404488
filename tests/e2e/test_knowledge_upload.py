"""In the real Teams emulator: an admin sends a PDF protocol as a Teams file attachment, checks what the preview card
read, sets kind and audience on the card and adds it; a teacher's question is then answered from it, with the document,
section and page cited. The Playground's UI has no
file attach, so the message is posted through its custom-activity endpoint in Teams' file-download shape; the file
is served on loopback (standing in for SharePoint's pre-authorised link)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.documents import render_pdf
from devtools.playground import Playground
from tests.support.playground_driver import OPEN_CHAT, drive

DOCUMENT = render_pdf("Rope Swing Closure", [
    ("Status", "Pool rope swings are closed until the anchor bolts are re-tested by the district's contractor."),
    ("Who to Ask", "The athletics director approves reopening after the inspection report."),
])


class _Files(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(DOCUMENT)))
        self.end_headers()
        self.wfile.write(DOCUMENT)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def file_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/personal/megan/Rope%20Swing%20Closure.pdf"
    server.shutdown()
    server.server_close()


def test_an_admin_adds_a_protocol_from_a_file_and_a_teacher_gets_it_cited(
    playground: Playground, file_url: str, tmp_path: Path
) -> None:
    result = drive(playground, {
        "screenshotOnFailure": str(tmp_path / "failure.png"),
        "steps": [
            *OPEN_CHAT,
            {"switchUser": "Megan Bowen"},
            {"sendFile": {"name": "Rope Swing Closure.pdf", "url": file_url}},
            {"waitForCard": {"contains": "Add to the knowledge base?", "new": True}},
            {"waitForCard": {"contains": "Status, Who to Ask"}},  # the sections it read from the PDF's bookmarks
            {"fill": {"label": "Kind", "value": "Safety protocol"}},
            {"fill": {"label": "Audience", "value": "PE teachers"}},
            {"screenshot": str(tmp_path / "preview.png")},
            {"click": "Add to knowledge base"},
            {"waitForCard": {"contains": "Added to the knowledge base", "timeoutMs": 30000}},
            {"switchUser": None},
            {"send": "what is the protocol for the rope swing anchor bolts?"},
            {"waitForText": {"contains": "Rope Swing Closure, §Status, p. 1", "new": True, "timeoutMs": 30000}},
        ],
    })
    assert result["ok"], result
    added = [c for c in result["cards"] if "Added to the knowledge base" in c]  # it replaced the preview in place
    assert added and "Rope Swing Closure" in added[-1] and "version 1.0" in added[-1]
    assert any("Rope Swing Closure" in m for m in result["botMessages"][-3:]), result["botMessages"][-3:]
