"""What a parser read from a file, whatever its format: a title, sections (heading + text) that remember which page
each part of their text came from, the page count, and markdown front matter when there was some.

Pages are recorded as *page marks*: ``(offset, page)`` pairs inside a section's text, the page that starts at that
character. A section of a markdown or plain-text file has none (those formats have no pages).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("pdf", "docx", "markdown", "text")


class DocumentError(ValueError):
    """A file that cannot be ingested; the message says why (and, where it can, which file, field or page)."""


class SectionBuilder:
    """Collects lines in reading order, each with its page, and cuts a section at each heading."""

    def __init__(self, first_heading: str = "Overview") -> None:
        self._sections: list[Section] = []
        self._heading = first_heading
        self._lines: list[str] = []
        self._marks: list[tuple[int, int]] = []
        self._size = 0

    def heading(self, text: str) -> None:
        self._flush()
        self._heading = " ".join(text.split())[:300]

    def line(self, text: str, page: int | None = None) -> None:
        if page is not None and (not self._marks or self._marks[-1][1] != page):
            self._marks.append((self._size, page))
        self._lines.append(text)
        self._size += len(text) + 1

    def _flush(self) -> None:
        body = "\n".join(self._lines).strip("\n")
        if body.strip():
            lead = len("\n".join(self._lines)) - len("\n".join(self._lines).lstrip("\n"))
            marks = tuple((max(o - lead, 0), p) for o, p in self._marks)
            self._sections.append(Section(self._heading, body, _dedupe_marks(marks)))
        self._lines, self._marks, self._size = [], [], 0

    def sections(self) -> tuple[Section, ...]:
        self._flush()
        return tuple(self._sections)


def _dedupe_marks(marks: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """Keep the last mark for each offset (a page whose lines were all blank leaves one at the same place)."""
    out: list[tuple[int, int]] = []
    for offset, page in marks:
        if out and out[-1][0] == offset:
            out[-1] = (offset, page)
        else:
            out.append((offset, page))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    text: str
    page_marks: tuple[tuple[int, int], ...] = ()  # (offset in text, page number from 1), offsets ascending

    def pages_of(self, start: int, end: int) -> tuple[int, int] | None:
        """(first, last) page of the text between the two offsets, or None for a format without pages."""
        if not self.page_marks:
            return None
        offsets = [o for o, _ in self.page_marks]
        first = self.page_marks[max(bisect.bisect_right(offsets, start) - 1, 0)][1]
        last = self.page_marks[max(bisect.bisect_right(offsets, max(end - 1, start)) - 1, 0)][1]
        return first, last

    @property
    def pages(self) -> tuple[int, int] | None:
        return self.pages_of(0, len(self.text))


@dataclass(frozen=True, slots=True)
class ParsedFile:
    format: str  # one of FORMATS
    title: str
    sections: tuple[Section, ...]
    pages: int | None = None  # None for formats without pages
    fields: dict[str, str] = field(default_factory=dict)  # markdown front matter, lower-case keys

    def words(self) -> int:
        return sum(len(s.text.split()) for s in self.sections)

    def first_lines(self, limit: int = 3, width: int = 160) -> list[str]:
        lines = [ln.strip() for s in self.sections for ln in s.text.splitlines() if ln.strip()]
        return [ln if len(ln) <= width else ln[: width - 1].rstrip() + "…" for ln in lines[:limit]]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format, "title": self.title, "pages": self.pages, "fields": self.fields,
            "sections": [{"heading": s.heading, "text": s.text, "page_marks": [list(m) for m in s.page_marks]}
                         for s in self.sections],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ParsedFile:
        return cls(
            format=str(data["format"]), title=str(data["title"]),
            pages=int(data["pages"]) if data.get("pages") is not None else None,
            fields={str(k): str(v) for k, v in (data.get("fields") or {}).items()},
            sections=tuple(
                Section(str(s["heading"]), str(s["text"]), tuple((int(o), int(p)) for o, p in s["page_marks"]))
                for s in data["sections"]
            ),
        )


def page_label(pages: tuple[int, int] | None) -> str:
    """``p. 4`` or ``pp. 4–5`` (empty for formats without pages)."""
    if not pages:
        return ""
    first, last = pages
    return f"p. {first}" if first == last else f"pp. {first}–{last}"
