"""Split a document into section chunks (~200 words) with stable ids ``doc-slug#section-slug``.

``MarkdownHeaderTextSplitter`` cuts at ``#``/``##`` headings; a section longer than ``MAX_WORDS`` is cut further by
``RecursiveCharacterTextSplitter`` (counting words). Each chunk is prefixed with "Document title — Section title" so
the embedder and the full-text index both see where it comes from. Ids gain ``-2``, ``-3`` only when a section is
split or a heading repeats.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from knowledge.documents import Document, content_hash, slugify
from knowledge.section_roles import role_of

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
    role: str = "other"  # knowledge.section_roles: steps | criteria | roles | background | other


def _words(text: str) -> int:
    return len(text.split())


_headers = MarkdownHeaderTextSplitter(headers_to_split_on=[("#", "title"), ("##", "section")], strip_headers=True)
_long = RecursiveCharacterTextSplitter(
    chunk_size=MAX_WORDS, chunk_overlap=OVERLAP_WORDS, length_function=_words, separators=["\n\n", "\n", ". ", " "]
)


def sections(document: Document) -> list[tuple[str, str]]:
    """(heading, text) per ``##`` section, in order; text before the first ``##`` is dropped if empty."""
    out: list[tuple[str, str]] = []
    for piece in _headers.split_text(document.body):
        heading = piece.metadata.get("section")
        text = piece.page_content.strip()
        if not text:
            continue
        out.append((heading or "Overview", text))
    return out


def chunk_document(document: Document, *, title_prefix: bool = True) -> list[Chunk]:
    seen: Counter[str] = Counter()
    chunks: list[Chunk] = []
    for heading, text in sections(document):
        parts = _long.split_text(text) if _words(text) > MAX_WORDS else [text]
        base = f"{document.slug}#{slugify(heading)}"
        role = role_of(heading, text)
        for part in parts:
            seen[base] += 1
            chunk_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
            content = f"{document.title}{DASH}{heading}\n{part}" if title_prefix else part
            chunks.append(Chunk(chunk_id, len(chunks), heading, content, content_hash(content), role))
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
