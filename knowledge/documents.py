"""A document ready to chunk: its metadata (title, kind, audience, grade band, version, review) and its sections.

Bundled corpus files are markdown with ``key: value`` front matter between ``---`` lines (``parse_document``). Files
of any supported format (``knowledge.parsers``) become a ``Document`` from what was read plus metadata given
separately (the upload card, or guesses and command-line options): ``document_from_parsed``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.parsed import DocumentError, ParsedFile, Section
from knowledge.parsers import EXTENSIONS
from knowledge.parsers.text import markdown_sections, split_front_matter

KINDS = ("safety", "curriculum", "policy")
REQUIRED = ("title", "kind", "audience", "grade_band", "version", "reviewed_by", "reviewed_on")
_GRADE_BAND = re.compile(r"^(K|\d{1,2})(-(K|\d{1,2}))?$")
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


@dataclass(frozen=True, slots=True)
class Document:
    slug: str
    title: str
    kind: str
    audience: str
    grade_band: str
    version: str
    reviewed_by: str
    reviewed_on: date
    approved: bool
    body: str  # markdown after the front matter (empty for other formats: their text is in ``sections``)
    content_hash: str  # sha256 of the whole file (its text for markdown)
    sections: tuple[Section, ...] = ()
    pages: int | None = None  # None for formats without pages
    format: str = "markdown"


def slugify(text: str) -> str:
    """Lowercase; every run of non-alphanumerics becomes one ``-``; trimmed. The chunk-id scheme depends on it."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def grade_range(band: str) -> tuple[int, int]:
    """``"K-2"`` → (0, 2); ``"7"`` → (7, 7). Kindergarten is grade 0."""
    match = _GRADE_BAND.match(band.strip().upper())
    if not match:
        raise ValueError(f"grade band must look like K-12, 3-5 or 7, not {band!r}")
    low = _grade(match.group(1))
    high = _grade(match.group(3)) if match.group(3) else low
    if high < low or high > 12:
        raise ValueError(f"grade band {band!r} is out of order or beyond grade 12")
    return low, high


def _grade(label: str) -> int:
    return 0 if label == "K" else int(label)


def parse_document(text: str, slug: str) -> Document:
    """Validate front matter and return the document; raises ``DocumentError`` naming the bad field."""
    fields, body = split_front_matter(text)
    missing = [key for key in REQUIRED if not fields.get(key)]
    if missing:
        raise DocumentError(f"missing front matter field(s): {', '.join(missing)}")
    problems = metadata_problems(fields)
    if problems:
        raise DocumentError(next(iter(problems.values())))
    if "## " not in body:
        raise DocumentError("the document has no '## ' sections")
    if not slug or slug != slugify(slug):
        raise DocumentError(f"file name must be a slug (lowercase, digits and dashes), not {slug!r}")
    return Document(
        slug=slug,
        title=fields["title"],
        kind=fields["kind"],
        audience=fields["audience"],
        grade_band=fields["grade_band"].upper(),
        version=fields["version"],
        reviewed_by=fields["reviewed_by"],
        reviewed_on=date.fromisoformat(fields["reviewed_on"]),
        approved=fields.get("approved", "true").lower() in _TRUE,
        body=body,
        content_hash=content_hash(text),
        sections=markdown_sections(body),
    )


def metadata_problems(fields: dict[str, str]) -> dict[str, str]:
    """field → what is wrong with it, for the metadata fields present (empty when all are valid)."""
    problems: dict[str, str] = {}
    if "kind" in fields and fields["kind"] not in KINDS:
        problems["kind"] = f"kind must be one of {', '.join(KINDS)}, not {fields['kind']!r}"
    if "grade_band" in fields:
        try:
            grade_range(fields["grade_band"])
        except ValueError as exc:
            problems["grade_band"] = str(exc)
    if "version" in fields and not _VERSION.match(fields["version"]):
        problems["version"] = f"version must look like 1.2, not {fields['version']!r}"
    if "reviewed_on" in fields:
        try:
            date.fromisoformat(fields["reviewed_on"])
        except ValueError:
            problems["reviewed_on"] = f"reviewed_on must be an ISO date (YYYY-MM-DD), not {fields['reviewed_on']!r}"
    approved_raw = fields.get("approved", "true").lower()
    if approved_raw not in _TRUE | _FALSE:
        problems["approved"] = f"approved must be true or false, not {approved_raw!r}"
    for key in ("title", "audience", "reviewed_by"):
        if key in fields and not fields[key].strip():
            problems[key] = f"{key.replace('_', ' ')} is required"
    if len(fields.get("title", "")) > 300:
        problems["title"] = "the title is longer than 300 characters"
    if len(fields.get("audience", "")) > 40:
        problems["audience"] = "the audience is longer than 40 characters"
    if len(fields.get("reviewed_by", "")) > 200:
        problems["reviewed_by"] = "reviewed by is longer than 200 characters"
    return problems


def document_from_parsed(parsed: ParsedFile, slug: str, fields: dict[str, str], file_hash: str) -> Document:
    """A document of any format from what was read and its metadata (``fields``: all of ``REQUIRED``, validated
    here); ``DocumentError`` names the first bad field."""
    missing = [key for key in REQUIRED if not fields.get(key, "").strip()]
    if missing:
        raise DocumentError(f"missing field(s): {', '.join(missing)}")
    problems = metadata_problems(fields)
    if problems:
        raise DocumentError("; ".join(problems.values()))
    if not slug or slug != slugify(slug):
        raise DocumentError(f"file name must be a slug (lowercase, digits and dashes), not {slug!r}")
    return Document(
        slug=slug, title=fields["title"].strip(), kind=fields["kind"], audience=fields["audience"].strip(),
        grade_band=fields["grade_band"].strip().upper(), version=fields["version"].strip(),
        reviewed_by=fields["reviewed_by"].strip(), reviewed_on=date.fromisoformat(fields["reviewed_on"]),
        approved=fields.get("approved", "true").lower() in _TRUE, body="", content_hash=file_hash,
        sections=parsed.sections, pages=parsed.pages, format=parsed.format,
    )


def load_document(path: Path) -> Document:
    try:
        return parse_document(path.read_text(encoding="utf-8"), path.stem)
    except DocumentError as exc:
        raise DocumentError(f"{path.name}: {exc}") from None


def corpus_files(root: Path) -> list[Path]:
    """Every supported file (markdown, PDF, Word, text) under ``root`` (or ``root`` itself when it is a file), in a
    stable order."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS
                  and not p.name.startswith((".", "_", "README", "~$")))
