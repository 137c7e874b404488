"""PDF (text layer only) with pypdf: sections from the outline (bookmarks), else from larger-than-body font sizes.

Text is extracted per page in pypdf's layout mode, which keeps a table's columns apart: a line whose cells are
separated by wide gaps becomes ``cell | cell | cell``. Numbered steps keep their numbers (they are text in a PDF).
A password-protected PDF, a PDF with no text layer (a scan) and a damaged file are refused with the reason.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

from knowledge.parsed import DocumentError, ParsedFile, SectionBuilder

NO_TEXT = "no text layer: OCR is not supported (it looks like a scan; export it from the original as a PDF with text)"
ENCRYPTED = "the PDF is password-protected; remove the password and send it again"
DAMAGED = "the file is damaged or is not a PDF"
_GAP = re.compile(r"\S(\s{3,})\S")
_HEADING_RATIO = 1.15
_MIN_CHARS_PER_PAGE = 8  # fewer extractable characters than this on every page: treated as a scan

logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns about every odd object in real-world files


@dataclass(frozen=True, slots=True)
class OutlineEntry:
    title: str
    page: int  # from 1
    level: int


def parse_pdf(data: bytes, stem: str, *, max_pages: int) -> ParsedFile:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # permissions-only PDFs open with an empty password
            raise DocumentError(ENCRYPTED)
        count = len(reader.pages)
    except DocumentError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, NotImplementedError):
        raise DocumentError(DAMAGED) from None
    if count == 0:
        raise DocumentError("the PDF has no pages")
    if count > max_pages:
        raise DocumentError(f"the PDF has {count:,} pages; the limit is {max_pages:,}")
    try:
        pages = [_page_lines(page) for page in reader.pages]
        outline = _outline(reader)
        sizes = _line_sizes(reader) if not outline else {}
        meta_title = _meta_title(reader)
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, NotImplementedError, ZeroDivisionError):
        raise DocumentError(DAMAGED) from None
    if all(sum(len(line) for line in lines) < _MIN_CHARS_PER_PAGE for lines in pages):
        raise DocumentError(NO_TEXT)
    title = meta_title
    if outline and not title and outline[0].level == 0 and sum(e.level == 0 for e in outline) == 1 and len(outline) > 1:
        title = outline[0].title  # one top-level bookmark holding the rest: the document's title
    if not title and sizes:
        title = max(sizes.items(), key=lambda kv: kv[1][0] if kv[1][1] == 1 else 0)[0] if sizes else ""
    title = title or stem
    sections = _by_outline(pages, outline, title) if outline else _by_font(pages, sizes, title)
    return ParsedFile(format="pdf", title=title[:300], sections=sections, pages=count)


def _page_lines(page: Any) -> list[str]:
    text = page.extract_text(extraction_mode="layout") or ""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _GAP.search(line):  # table columns (or tab stops): cells separated by wide gaps
            line = " | ".join(cell.strip() for cell in re.split(r"\s{3,}", line))
        lines.append(line)
    return lines


def _outline(reader: PdfReader) -> list[OutlineEntry]:
    entries: list[OutlineEntry] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError):
                continue
            title = " ".join(str(item.title or "").split())
            if title and page is not None and page >= 0:
                entries.append(OutlineEntry(title, page + 1, level))

    walk(list(reader.outline or []), 0)
    return entries


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _by_outline(pages: list[list[str]], outline: list[OutlineEntry], title: str):  # type: ignore[no-untyped-def]
    """Cut at each bookmark: at the line(s) from its page on (a heading may be pushed over a page break, or wrap
    onto three lines, even across pages) that read like its title, else at the top of its page."""
    flat = [(p, line) for p, lines in enumerate(pages) for line in lines]
    page_start = [0] * (len(pages) + 1)
    for p, lines in enumerate(pages):
        page_start[p + 1] = page_start[p] + len(lines)
    entries = [e for e in outline if not (e.level == 0 and e.title == title and e.page == 1)]
    starts: dict[int, tuple[str, int]] = {}  # flat line index → (heading, lines it takes)
    cursor = 0
    for entry in entries:
        if entry.page > len(pages):
            continue
        first = max(cursor, page_start[entry.page - 1])
        last = page_start[min(entry.page + 1, len(pages))]  # this page and the next
        found = _find_heading([line for _, line in flat], first, last, _norm(entry.title))
        if found is None:
            starts[first] = (entry.title, 0)
            cursor = first
        else:
            starts[found[0]] = (entry.title, found[1])
            cursor = found[0] + found[1]
    builder = SectionBuilder()
    skip = 0
    for i, (p, line) in enumerate(flat):
        start = starts.get(i)
        if start is not None:
            builder.heading(start[0])
            skip = start[1]  # the heading's own lines are the section's name, not its text
        if skip:
            skip -= 1
            continue
        if p == 0 and i < 3 and _norm(line) == _norm(title):
            continue
        builder.line(line, p + 1)
    return builder.sections()


def _find_heading(lines: list[str], first: int, last: int, want: str) -> tuple[int, int] | None:
    """(line index, how many lines) of the first place in ``lines[first:last]`` where ``want`` is written."""
    if not want:
        return None
    for i in range(first, min(last, len(lines))):
        joined = ""
        for n in range(1, 4):
            if i + n > len(lines):
                break
            joined = _norm(f"{joined} {lines[i + n - 1]}")
            if joined == want or (n == 1 and joined.startswith(want)):
                return i, n
            if not want.startswith(joined):
                break
    return None


def _line_sizes(reader: PdfReader) -> dict[str, tuple[float, int]]:
    """Each text fragment's largest effective font size and the page (from 1) it was first seen on."""
    sizes: dict[str, tuple[float, int]] = {}
    weights: Counter[float] = Counter()
    for number, page in enumerate(reader.pages, start=1):

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float, number: int = number) -> None:
            key = " ".join(text.split())
            if not key:
                return
            effective = round(abs(float(size) * float(tm[3]) * float(cm[3])) or float(size), 1)
            weights[effective] += len(key)
            if key not in sizes or sizes[key][0] < effective:
                sizes[key] = (effective, sizes.get(key, (0.0, number))[1])

        page.extract_text(visitor_text=visit)
    if not weights:
        return {}
    body = weights.most_common(1)[0][0]
    return {k: v for k, v in sizes.items() if v[0] >= body * _HEADING_RATIO and len(k) <= 120}


def _by_font(pages: list[list[str]], headings: dict[str, tuple[float, int]], title: str):  # type: ignore[no-untyped-def]
    builder = SectionBuilder()
    for p, lines in enumerate(pages):
        for line in lines:
            key = " ".join(line.split())
            if key in headings and "|" not in line:
                if _norm(key) == _norm(title) and p == 0:
                    continue
                builder.heading(key)
                continue
            builder.line(line, p + 1)
    return builder.sections()


def _meta_title(reader: PdfReader) -> str:
    meta = reader.metadata
    raw = str(meta.title or "") if meta is not None else ""
    title = " ".join(raw.split())
    return "" if title.lower() in {"", "untitled", "microsoft word - document1"} or title.endswith((".doc", ".docx")) \
        else title
