"""Parse and validate a corpus document: simple ``key: value`` front matter between ``---`` lines, then markdown."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

KINDS = ("safety", "curriculum")
REQUIRED = ("title", "kind", "audience", "grade_band", "version", "reviewed_by", "reviewed_on")
_GRADE_BAND = re.compile(r"^(K|\d{1,2})(-(K|\d{1,2}))?$")
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


class DocumentError(ValueError):
    """A corpus file that cannot be ingested (the message names the file and the field)."""


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
    body: str  # markdown after the front matter
    content_hash: str  # sha256 of the whole file text


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


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise DocumentError("missing front matter (the file must start with a '---' line)")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise DocumentError("front matter is not closed by a '---' line") from None
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise DocumentError(f"line {number}: expected 'key: value', got {line!r}")
        fields[key.strip().lower().replace("-", "_")] = value.strip().strip("\"'")
    return fields, "\n".join(lines[end + 1 :]).strip() + "\n"


def parse_document(text: str, slug: str) -> Document:
    """Validate front matter and return the document; raises ``DocumentError`` naming the bad field."""
    fields, body = split_front_matter(text)
    missing = [key for key in REQUIRED if not fields.get(key)]
    if missing:
        raise DocumentError(f"missing front matter field(s): {', '.join(missing)}")
    if fields["kind"] not in KINDS:
        raise DocumentError(f"kind must be one of {', '.join(KINDS)}, not {fields['kind']!r}")
    try:
        grade_range(fields["grade_band"])
    except ValueError as exc:
        raise DocumentError(str(exc)) from None
    if not _VERSION.match(fields["version"]):
        raise DocumentError(f"version must look like 1.2, not {fields['version']!r}")
    try:
        reviewed_on = date.fromisoformat(fields["reviewed_on"])
    except ValueError:
        raise DocumentError(f"reviewed_on must be an ISO date (YYYY-MM-DD), not {fields['reviewed_on']!r}") from None
    approved_raw = fields.get("approved", "true").lower()
    if approved_raw not in _TRUE | _FALSE:
        raise DocumentError(f"approved must be true or false, not {approved_raw!r}")
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
        reviewed_on=reviewed_on,
        approved=approved_raw in _TRUE,
        body=body,
        content_hash=content_hash(text),
    )


def load_document(path: Path) -> Document:
    try:
        return parse_document(path.read_text(encoding="utf-8"), path.stem)
    except DocumentError as exc:
        raise DocumentError(f"{path.name}: {exc}") from None


def corpus_files(root: Path) -> list[Path]:
    """Every ``*.md`` under ``root`` (or ``root`` itself when it is a file), in a stable order."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*.md") if p.is_file() and not p.name.startswith((".", "_", "README")))
