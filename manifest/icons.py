"""Faraday's Teams icons, drawn with the standard library only (zlib + struct PNG writer).

``color.png``: 192x192, a solid brand-colour square with a white lightning bolt in the centre safe zone.
``outline.png``: 32x32, the same bolt in pure white on a fully transparent background (Teams requires
outline icons to be white + transparent only; edge anti-aliasing is done with alpha, never with grey).

Regenerate (deterministic, byte-for-byte) with ``python -m manifest.icons``.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parent
COLOR_SIZE = 192
OUTLINE_SIZE = 32
BRAND_RGB: tuple[int, int, int] = (0x2B, 0x4F, 0xD8)  # keep in sync with manifest.json "accentColor"
WHITE = 255

# A slanted lightning bolt on a 24-unit grid (x, y), clockwise; bounding box x 3..21, y 2..22.
BOLT: tuple[tuple[float, float], ...] = ((13, 2), (3, 14), (12, 14), (11, 22), (21, 10), (12, 10))
BOLT_CENTER = (12.0, 12.0)
BOLT_HEIGHT = 20.0
SUBSAMPLES = 8  # vertical samples per pixel; horizontal coverage is computed exactly


def _place(polygon: tuple[tuple[float, float], ...], size: int, height_px: float) -> list[tuple[float, float]]:
    """Scale the glyph so it is ``height_px`` tall and centre it in a ``size`` x ``size`` canvas."""
    scale = height_px / BOLT_HEIGHT
    cx, cy = BOLT_CENTER
    return [(size / 2 + (x - cx) * scale, size / 2 + (y - cy) * scale) for x, y in polygon]


def coverage(polygon: list[tuple[float, float]], size: int) -> list[list[float]]:
    """Fraction (0..1) of each pixel covered by ``polygon`` (even-odd scanline fill, anti-aliased)."""
    grid = [[0.0] * size for _ in range(size)]
    edges = list(zip(polygon, polygon[1:] + polygon[:1], strict=True))
    weight = 1.0 / SUBSAMPLES
    for row in range(size):
        for sub in range(SUBSAMPLES):
            y = row + (sub + 0.5) / SUBSAMPLES
            xs = sorted(
                x0 + (y - y0) * (x1 - x0) / (y1 - y0)
                for (x0, y0), (x1, y1) in edges
                if (y0 <= y < y1) or (y1 <= y < y0)
            )
            for left, right in zip(xs[0::2], xs[1::2], strict=False):  # an odd crossing count drops the last
                left, right = max(left, 0.0), min(right, float(size))
                for col in range(int(left), min(int(right) + 1, size)):
                    overlap = min(right, col + 1) - max(left, col)
                    if overlap > 0:
                        grid[row][col] += overlap * weight
    return [[min(value, 1.0) for value in line] for line in grid]


def png_bytes(rows: list[bytes], width: int, height: int, *, alpha: bool) -> bytes:
    """Encode 8-bit RGB or RGBA scanlines as a PNG (filter 0 on every row)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    color_type = 6 if alpha else 2
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def color_icon() -> bytes:
    """192x192 opaque icon: brand background, white bolt inside the 96-120 px safe zone."""
    cover = coverage(_place(BOLT, COLOR_SIZE, 112), COLOR_SIZE)
    rows = []
    for line in cover:
        row = bytearray()
        for c in line:
            row += bytes(round(base + (WHITE - base) * c) for base in BRAND_RGB)
        rows.append(bytes(row))
    return png_bytes(rows, COLOR_SIZE, COLOR_SIZE, alpha=False)


def outline_icon() -> bytes:
    """32x32 icon: white bolt, transparent elsewhere; every pixel is RGB white, only alpha varies."""
    cover = coverage(_place(BOLT, OUTLINE_SIZE, 28), OUTLINE_SIZE)
    rows = [b"".join(bytes((WHITE, WHITE, WHITE, round(255 * c))) for c in line) for line in cover]
    return png_bytes(rows, OUTLINE_SIZE, OUTLINE_SIZE, alpha=True)


def write_icons(out_dir: Path = MANIFEST_DIR) -> tuple[Path, Path]:
    """Write ``color.png`` and ``outline.png`` into ``out_dir``; returns their paths."""
    color, outline = out_dir / "color.png", out_dir / "outline.png"
    color.write_bytes(color_icon())
    outline.write_bytes(outline_icon())
    return color, outline


if __name__ == "__main__":
    for path in write_icons():
        print(f"wrote {path}")
