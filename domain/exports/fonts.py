"""DejaVu Sans cut down to the scripts school names and records are written in here, so a PDF export is quick.

fpdf2 parses the whole TrueType file on every document (``add_font``) and subsets it again on output: with DejaVu
Sans (about 6,000 glyphs per style) that was most of an export's time (bench/exports.py: ~0.4 s of a one-page
incident report). The compact fonts keep Latin with every extension (Vietnamese too), IPA, combining marks, Greek,
Cyrillic, and the punctuation, currency, arrows, maths and shapes our text uses (about 2,200 glyphs per style), with
no hinting and no layout tables (fpdf2 does not shape text unless asked). They are made once per machine with
fontTools (already required by fpdf2) into the temp directory, keyed by the source files, fontTools' version and the
ranges; a document whose text has a character they lack is drawn again with the full fonts (``pdf_base.render``),
so nothing prints as a missing glyph that printed before. Where they cannot be made (no DejaVu, read-only temp
directory), the full fonts are used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import fontTools
from fontTools import subset
from fontTools.ttLib import TTFont

log = logging.getLogger(__name__)

RANGES = (
    (0x0020, 0x007E), (0x00A0, 0x024F),  # Basic Latin, Latin-1, Latin Extended-A/B
    (0x0250, 0x036F),  # IPA, spacing modifiers, combining diacritical marks
    (0x0370, 0x052F),  # Greek, Cyrillic (+ supplement)
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F),  # punctuation, currency, letterlike
    (0x2190, 0x22FF), (0x25A0, 0x25FF),  # arrows, mathematical operators, geometric shapes
)
UNICODES = tuple(u for first, last in RANGES for u in range(first, last + 1))
WHITESPACE = frozenset(map(ord, "\n\r\t"))


@dataclass(frozen=True, slots=True)
class CompactFonts:
    folder: Path
    covered: frozenset[int]  # code points both styles draw

    def covers(self, text: str) -> bool:
        return all(ord(c) in self.covered or ord(c) in WHITESPACE for c in text)


_lock = threading.Lock()
_made: dict[Path, CompactFonts | None] = {}


def compact_fonts(source: Path, files: dict[str, str]) -> CompactFonts | None:
    """The compact copies of ``files`` (style → file name in ``source``), made on first use; None when they can't
    be made (the caller then uses the full fonts)."""
    with _lock:
        if source not in _made:
            _made[source] = _load_or_make(source, files)
        return _made[source]


def _load_or_make(source: Path, files: dict[str, str]) -> CompactFonts | None:
    try:
        key = hashlib.sha256(repr((fontTools.version, RANGES)).encode())
        for name in sorted(files.values()):
            stat = (source / name).stat()
            key.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        folder = Path(tempfile.gettempdir()) / f"faraday-fonts-{key.hexdigest()[:16]}"
        folder.mkdir(mode=0o755, exist_ok=True)
        covered: frozenset[int] | None = None
        for name in files.values():
            target = folder / name
            if not target.is_file():
                _cut(source / name, target)
            cmap = frozenset(TTFont(target, lazy=True).getBestCmap())
            covered = cmap if covered is None else covered & cmap
        return CompactFonts(folder, covered or frozenset())
    except Exception:  # any failure (disk, font): the full fonts still work
        log.warning("compact PDF fonts could not be made; exports use the full fonts", exc_info=True)
        return None


def _cut(source: Path, target: Path) -> None:
    font = TTFont(source)
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.notdef_outline = True
    options.glyph_names = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    font.save(partial)
    os.replace(partial, target)  # atomic: another process never reads half a file
