"""Split a document into section chunks (~200 words) with stable ids ``doc-slug#section-slug``.

The parser cut the sections (markdown ``#``/``##`` headings, Word heading styles, PDF bookmarks or font sizes); a
section longer than ``MAX_WORDS`` is cut further by ``RecursiveCharacterTextSplitter`` (counting words), and each
part keeps the page(s) its text came from. Each chunk is prefixed with "Document title — Section title" so
the embedder and the full-text index both see where it comes from. Ids gain ``-2``, ``-3`` only when a section is
split or a heading repeats.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from domain.section_roles import role_of
from knowledge.documents import Document, content_hash, slugify

MAX_WORDS = 200
PASSAGE_SENTENCES = 2
OVERLAP_WORDS = 25
DASH = " — "


@dataclass(frozen=True, slots=True)
class Chunk:
    id: str
    ordinal: int
    section: str
    content: str  # what is embedded and indexed (with the title prefix unless disabled)
    content_hash: str
    page_start: int | None = None  # None for formats without pages
    page_end: int | None = None
    role: str = "other"  # domain.section_roles: steps | criteria | roles | background | other


def _words(text: str) -> int:
    return len(text.split())


_long = RecursiveCharacterTextSplitter(
    chunk_size=MAX_WORDS, chunk_overlap=OVERLAP_WORDS, length_function=_words, separators=["\n\n", "\n", ". ", " "]
)


def sections(document: Document) -> list[tuple[str, str]]:
    """(heading, text) per section, in order."""
    return [(s.heading, s.text) for s in document.sections]


def chunk_document(document: Document, *, title_prefix: bool = True) -> list[Chunk]:
    seen: Counter[str] = Counter()
    chunks: list[Chunk] = []
    for section in document.sections:
        text = section.text
        parts = _long.split_text(text) if _words(text) > MAX_WORDS else [text]
        base = f"{document.slug}#{slugify(section.heading)}"
        role = role_of(section.heading, text)
        cursor = 0
        for part in parts:
            seen[base] += 1
            chunk_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
            start = text.find(part, max(cursor - len(part), 0))
            start = start if start >= 0 else cursor
            cursor = start + len(part)
            pages = section.pages_of(start, cursor)
            content = f"{document.title}{DASH}{section.heading}\n{part}" if title_prefix else part
            chunks.append(Chunk(chunk_id, len(chunks), section.heading, content, content_hash(content),
                                pages[0] if pages else None, pages[1] if pages else None, role))
    return chunks


def section_id(slug: str, section: str) -> str:
    """The id of a section's first chunk (what the labelled set refers to), for any of its chunks."""
    return f"{slug}#{slugify(section)}"


_SENTENCE = re.compile(r"(?<=[.!?:;])\s+(?=[A-Z0-9*(\"])|\n+")


def passages(chunk: Chunk, size: int = PASSAGE_SENTENCES) -> list[str]:
    """Consecutive, non-overlapping windows of ``size`` sentences or list items of the chunk, each with the chunk's
    "Document — Section" line, so a question that matches two sentences well is not diluted by the rest of a
    ~200-word section. (One-sentence windows scored the same on the labelled set at twice the embedding cost.)"""
    head, _, body = chunk.content.partition("\n")
    if not body:
        head, body = "", chunk.content
    sentences = [re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", s or "").strip() for s in _SENTENCE.split(body)]
    sentences = [s for s in sentences if len(s.split()) >= 3]
    windows = [" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size)]
    return [f"{head}\n{w}" if head else w for w in windows]
