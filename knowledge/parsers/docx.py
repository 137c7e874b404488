"""Word (.docx) with python-docx: Heading styles (and Title) become sections, numbered and bulleted list paragraphs
keep their numbers (``1.``, ``2.``) or dashes, table rows become ``cell | cell`` lines, in document order.

A .docx has no fixed pages; Word records where its last layout broke pages (``w:lastRenderedPageBreak``) and authors
add explicit page breaks. Pages are counted from those; a file that has neither on a document Word says is longer
than one page gets no page numbers rather than wrong ones. Macro-enabled packages (``vbaProject.bin``), packages
that inflate past a limit (zip bombs) and damaged files are refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from knowledge.parsed import DocumentError, ParsedFile, SectionBuilder

DAMAGED = "the file is damaged or is not a Word document (.docx)"
MACROS = "it contains macros (a macro-enabled Word file); save it as a plain .docx and send it again"
MAX_INFLATED = 200 * 1024 * 1024
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING = re.compile(r"^(?:heading|überschrift|titre)\s*(\d)$", re.I)


def check_package(data: bytes) -> None:
    """Refuse macro-enabled, oversized-when-inflated and damaged packages before python-docx reads them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
            inflated = sum(info.file_size for info in package.infolist())
            content_types = package.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        raise DocumentError(DAMAGED) from None
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in content_types:
        raise DocumentError(MACROS)
    if inflated > MAX_INFLATED:
        raise DocumentError("the file inflates to more than 200 MB; it is not an ordinary Word document")
    if "word/document.xml" not in names:
        raise DocumentError(DAMAGED)


def parse_docx(data: bytes, stem: str, *, max_pages: int) -> ParsedFile:
    check_package(data)
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        reader = _Reader(document)
        reader.read()
    except DocumentError:
        raise
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, AttributeError, TypeError,
            IndexError, SyntaxError):  # lxml's XMLSyntaxError is a SyntaxError
        raise DocumentError(DAMAGED) from None
    declared = _declared_pages(document)
    pages = reader.page if reader.breaks else 1 if declared <= 1 else None
    if pages is not None and pages > max_pages:
        raise DocumentError(f"the document has {pages:,} pages; the limit is {max_pages:,}")
    if declared > max_pages:
        raise DocumentError(f"the document has {declared:,} pages; the limit is {max_pages:,}")
    title = " ".join((document.core_properties.title or "").split()) or reader.title or stem
    sections = reader.builder.sections()
    if pages is None:  # page numbers unknown: drop the marks rather than cite page 1 for everything
        sections = tuple(type(s)(s.heading, s.text, ()) for s in sections)
    return ParsedFile(format="docx", title=title[:300], sections=sections, pages=pages)


class _Reader:
    def __init__(self, document: Any) -> None:
        self.document = document
        self.builder = SectionBuilder()
        self.page = 1
        self.breaks = False
        self.title = ""
        self._counters: dict[tuple[str, int], int] = {}
        self._formats = _numbering_formats(document)
        self._styles = _style_table(document)
        self._default_style = next((sid for sid, s in self._styles.items() if s.default), "")

    def read(self) -> None:
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        for child in self.document.element.body.iterchildren():
            if child.tag == f"{W}p":
                self._paragraph(Paragraph(child, self.document))
            elif child.tag == f"{W}tbl":
                self._table(Table(child, self.document))

    def _paragraph(self, paragraph: Any) -> None:
        element = paragraph._p
        if element.find(f"{W}pPr/{W}pageBreakBefore") is not None:
            self._new_page()
        text = " ".join(paragraph.text.split())
        style_node = element.find(f"{W}pPr/{W}pStyle")
        style_id = style_node.get(f"{W}val", "") if style_node is not None else self._default_style
        style = self._styles[style_id].name if style_id in self._styles else ""
        breaks_inside = len(element.findall(f".//{W}lastRenderedPageBreak")) + len(
            [b for b in element.iter(f"{W}br") if b.get(f"{W}type") == "page"])
        if breaks_inside and text and element.find(f".//{W}lastRenderedPageBreak") is not None \
                and _text_before_break(element):
            pass  # the page turns inside this paragraph: it is cited on the page it starts on
        elif breaks_inside:
            for _ in range(breaks_inside):
                self._new_page()
            breaks_inside = 0
        if text:
            level = _heading_level(style)
            if style.lower() == "title" and not self.title:
                self.title = text
            elif level is not None:
                self.builder.heading(text)
            else:
                self.builder.line(self._numbered(element, style_id, style, text), self.page)
        for _ in range(breaks_inside):
            self._new_page()

    def _table(self, table: Any) -> None:
        for row in table.rows:
            cells: list[str] = []
            for cell in row.cells:
                value = " ".join(cell.text.split())
                if not cells or value != cells[-1]:  # a merged cell repeats across the columns it spans
                    cells.append(value)
            if any(cells):
                self.builder.line(" | ".join(cells), self.page)
            for _ in row._tr.iter(f"{W}lastRenderedPageBreak"):
                self._new_page()

    def _numbered(self, element: Any, style_id: str, style: str, text: str) -> str:
        num_id, level = self._numbering(element, style_id)
        if num_id is None:
            if style.lower().startswith("list number"):
                num_id, level = f"style:{style}", 0
            elif style.lower().startswith("list bullet"):
                return f"- {text}"
            else:
                return text
        fmt = self._formats.get((num_id, level), "decimal")
        if fmt in ("bullet", "none"):
            return f"- {text}"
        key = (num_id, level)
        self._counters[key] = self._counters.get(key, 0) + 1
        for deeper in [k for k in self._counters if k[0] == num_id and k[1] > level]:
            del self._counters[deeper]
        return f"{self._counters[key]}. {text}"

    def _numbering(self, element: Any, style_id: str) -> tuple[str | None, int]:
        """(numId, level) from the paragraph's own numbering, else from its style (or the styles it is based on)."""
        num_pr = element.find(f"{W}pPr/{W}numPr")
        num_id: str | None = None
        level = 0
        if num_pr is not None:
            num_id, level = _num_pr(num_pr)
        seen: set[str] = set()
        while num_id is None and style_id in self._styles and style_id not in seen:
            seen.add(style_id)
            style = self._styles[style_id]
            num_id, level = style.num_id, style.level
            style_id = style.based_on
        return (None, 0) if num_id in (None, "0") else (num_id, level)  # numId 0: numbering removed

    def _new_page(self) -> None:
        self.page += 1
        self.breaks = True


def _heading_level(style: str) -> int | None:
    match = _HEADING.match(style.strip())
    return int(match.group(1)) if match else None


def _text_before_break(element: Any) -> bool:
    for node in element.iter():
        if node.tag == f"{W}lastRenderedPageBreak":
            return False
        if node.tag == f"{W}t" and (node.text or "").strip():
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Style:
    name: str
    based_on: str
    num_id: str | None
    level: int
    default: bool


def _num_pr(num_pr: Any) -> tuple[str | None, int]:
    num = num_pr.find(f"{W}numId")
    lvl = num_pr.find(f"{W}ilvl")
    level = lvl.get(f"{W}val", "0") if lvl is not None else "0"
    return (num.get(f"{W}val") if num is not None else None), int(level) if level.isdigit() else 0


def _style_table(document: Any) -> dict[str, _Style]:
    """Paragraph styles by id, read once (python-docx looks a style up by XPath on every access)."""
    from docx.styles import BabelFish  # python-docx's own names: "heading 1" → "Heading 1"

    table: dict[str, _Style] = {}
    for node in document.styles.element.findall(f"{W}style"):
        if node.get(f"{W}type", "paragraph") != "paragraph":
            continue
        name_node, based = node.find(f"{W}name"), node.find(f"{W}basedOn")
        num_pr = node.find(f"{W}pPr/{W}numPr")
        num_id, level = _num_pr(num_pr) if num_pr is not None else (None, 0)
        raw_name = name_node.get(f"{W}val", "") if name_node is not None else ""
        table[node.get(f"{W}styleId", "")] = _Style(
            name=BabelFish.internal2ui(raw_name), based_on=based.get(f"{W}val", "") if based is not None else "",
            num_id=num_id, level=level, default=node.get(f"{W}default") in ("1", "true"),
        )
    return table


def _numbering_formats(document: Any) -> dict[tuple[str, int], str]:
    """(numId, level) → numFmt (decimal, bullet, lowerLetter...) from the numbering part, when there is one."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    abstract: dict[str, dict[int, str]] = {}
    for node in numbering.findall(f"{W}abstractNum"):
        levels = {}
        for lvl in node.findall(f"{W}lvl"):
            fmt = lvl.find(f"{W}numFmt")
            levels[int(lvl.get(f"{W}ilvl", "0"))] = fmt.get(f"{W}val") if fmt is not None else "decimal"
        abstract[node.get(f"{W}abstractNumId", "")] = levels
    formats: dict[tuple[str, int], str] = {}
    for num in numbering.findall(f"{W}num"):
        ref = num.find(f"{W}abstractNumId")
        levels = abstract.get(ref.get(f"{W}val", "") if ref is not None else "", {})
        for level, fmt in levels.items():
            formats[(num.get(f"{W}numId", ""), level)] = fmt
    return formats


def _declared_pages(document: Any) -> int:
    """The page count Word wrote in docProps/app.xml when it last saved the file (0 when absent)."""
    try:
        for part in document.part.package.iter_parts():
            if str(part.partname) == "/docProps/app.xml":
                match = re.search(rb"<(?:\w+:)?Pages>(\d+)</", part.blob)
                return int(match.group(1)) if match else 0
    except (AttributeError, ValueError):
        return 0
    return 0
