"""Markdown and plain text. Markdown: optional ``---`` front matter, sections at ``#``/``##`` headings (the corpus's
chunk ids depend on this exact cut). Plain text: a short line standing alone before a paragraph is a heading."""

from __future__ import annotations

import re

from langchain_text_splitters import MarkdownHeaderTextSplitter

from knowledge.parsed import DocumentError, ParsedFile, Section, SectionBuilder

_headers = MarkdownHeaderTextSplitter(headers_to_split_on=[("#", "title"), ("##", "section")], strip_headers=True)
_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)


def decode(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError(f"{name} isn't UTF-8 text; save it as UTF-8 and send it again") from None
    if "\x00" in text:
        raise DocumentError(f"{name} isn't a text file")
    return text


def split_front_matter(text: str, *, required: bool = True) -> tuple[dict[str, str], str]:
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        if required:
            raise DocumentError("missing front matter (the file must start with a '---' line)")
        return {}, text
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


def markdown_sections(body: str) -> tuple[Section, ...]:
    """(heading, text) per ``##`` section, in order; text before the first ``##`` is "Overview" (dropped if empty)."""
    out: list[Section] = []
    for piece in _headers.split_text(body):
        text = piece.page_content.strip()
        if text:
            out.append(Section(piece.metadata.get("section") or "Overview", text))
    return tuple(out)


def parse_markdown(data: bytes, name: str, stem: str) -> ParsedFile:
    fields, body = split_front_matter(decode(data, name), required=False)
    match = _TITLE.search(body)
    title = fields.get("title") or (match.group(1).strip() if match else "") or stem
    return ParsedFile(format="markdown", title=title[:300], sections=markdown_sections(body), fields=fields)


def parse_text(data: bytes, name: str, stem: str) -> ParsedFile:
    lines = decode(data, name).splitlines()
    builder = SectionBuilder()
    title = ""
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            builder.line("")
            continue
        before_blank = i == 0 or not lines[i - 1].strip()
        after_text = i + 1 < len(lines) and bool(lines[i + 1].strip())
        if before_blank and after_text and _looks_like_heading(line):
            if not title and i == next(j for j, ln in enumerate(lines) if ln.strip()):
                title = line
                continue
            builder.heading(line.rstrip(":"))
            continue
        if not title and before_blank and not after_text and _looks_like_heading(line) and i < 3:
            title = line
            continue
        builder.line(line)
    return ParsedFile(format="text", title=(title or stem)[:300], sections=builder.sections())


def _looks_like_heading(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= 10 and line[0].isupper() and not line.rstrip(":").endswith((".", ",", ";", "?", "!")) \
        and not re.match(r"^(\d+[.)]|[-*•])\s", line)
