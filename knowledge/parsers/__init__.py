"""One entry for every supported format: ``parse_file(name, data, limits)`` → ``ParsedFile`` (title, sections with
page marks, page count, front matter), or ``DocumentError`` with a reason a person can act on.

Choice of libraries (measured on files made with python-docx and fpdf2; see the report in the commit message):
pypdf reads the PDF outline with page numbers, per-page text (layout mode keeps table columns apart) and font sizes,
and detects encryption, with no dependency; python-docx gives paragraphs with their style names (headings), list
numbering and tables in document order. mammoth and markitdown lose table structure in markdown, and markitdown's PDF
path (pdfminer) loses pages; pdfplumber finds tables as cells but brings pdfminer.six and pypdfium2 for little more.

Run hostile input through ``knowledge.parsers.isolated`` (a subprocess with a time and memory limit), not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from knowledge.parsed import DocumentError, ParsedFile

EXTENSIONS = {".pdf": "pdf", ".docx": "docx", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}
MACRO_EXTENSIONS = (".docm", ".dotm", ".xlsm", ".pptm")
SUPPORTED_NAMES = "PDF, Word (.docx), markdown (.md) or plain text (.txt)"


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024  # PDF and Word
    max_text_bytes: int = 2 * 1024 * 1024  # markdown and plain text
    max_pages: int = 500


def file_format(name: str) -> str:
    """The format named by the file's extension, or ``DocumentError`` (macro-enabled and unknown types)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in MACRO_EXTENSIONS:
        raise DocumentError(f"{PurePosixPath(name).name} is macro-enabled ({suffix}); macros are not accepted. "
                            "Save it as a plain .docx or PDF and send it again")
    if suffix not in EXTENSIONS:
        kind = f"“{suffix}” files" if suffix else "files without an extension"
        raise DocumentError(f"{kind} aren't supported; send a {SUPPORTED_NAMES}")
    return EXTENSIONS[suffix]


def check_size(name: str, size: int, limits: Limits) -> None:
    fmt = file_format(name)
    cap = limits.max_bytes if fmt in ("pdf", "docx") else limits.max_text_bytes
    if size > cap:
        raise DocumentError(f"the file is {_size(size)}; the limit for {fmt.upper() if fmt == 'pdf' else fmt} files "
                            f"is {_size(cap)}")


def parse_file(name: str, data: bytes, limits: Limits | None = None) -> ParsedFile:
    """Parse in this process (trusted files, or inside the isolated worker)."""
    limits = limits or Limits()
    fmt = file_format(name)
    check_size(name, len(data), limits)
    stem = PurePosixPath(name).stem
    if not data.strip():
        raise DocumentError("the file is empty")
    if fmt == "pdf":
        from knowledge.parsers.pdf import parse_pdf

        if not data.lstrip()[:5].startswith(b"%PDF"):
            raise DocumentError("the file is damaged or is not a PDF")
        parsed = parse_pdf(data, stem, max_pages=limits.max_pages)
    elif fmt == "docx":
        from knowledge.parsers.docx import parse_docx

        parsed = parse_docx(data, stem, max_pages=limits.max_pages)
    elif fmt == "markdown":
        from knowledge.parsers.text import parse_markdown

        parsed = parse_markdown(data, PurePosixPath(name).name, stem)
    else:
        from knowledge.parsers.text import parse_text

        parsed = parse_text(data, PurePosixPath(name).name, stem)
    if not parsed.sections or parsed.words() == 0:
        raise DocumentError("the document is empty (no text found)")
    return parsed


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1):,} KB"


__all__ = ["EXTENSIONS", "SUPPORTED_NAMES", "Limits", "check_size", "file_format", "parse_file"]
