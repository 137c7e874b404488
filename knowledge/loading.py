"""Files on disk → ``Document`` for ``python -m knowledge ingest PATH``: bundled markdown with front matter is
validated strictly (``parse_document``); any other supported file (PDF, Word, text, markdown without front matter)
is read in a child process with a time limit and gets its metadata from guesses, overridden by command-line options.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from knowledge.documents import Document, document_from_parsed, load_document, slugify
from knowledge.metadata import guess
from knowledge.parsed import DocumentError
from knowledge.parsers import Limits
from knowledge.parsers.isolated import parse_isolated_sync

DEFAULT_TIMEOUT_S = 120.0


def load_any(path: Path, overrides: dict[str, str] | None = None, *, limits: Limits | None = None,
             timeout_s: float = DEFAULT_TIMEOUT_S) -> Document:
    if path.suffix.lower() in (".md", ".markdown") and _has_front_matter(path):
        return load_document(path)
    try:
        data = path.read_bytes()
        parsed = parse_isolated_sync(path.name, data, limits or Limits(), timeout_s)
        fields = guess(parsed, today=date.fromtimestamp(path.stat().st_mtime), reviewer="unknown")
        fields |= {k: v for k, v in (overrides or {}).items() if v}
        return document_from_parsed(parsed, slugify(path.stem)[:120].strip("-"), fields,
                                    hashlib.sha256(data).hexdigest())
    except DocumentError as exc:
        raise DocumentError(f"{path.name}: {exc}") from None


def _has_front_matter(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(8).lstrip(b"\xef\xbb\xbf").startswith(b"---")
