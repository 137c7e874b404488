"""A tiny PNG chart rasteriser (stdlib only: zlib + struct) for the card's image fallback.

Indexed colour (one byte per pixel, a small palette), so flat charts compress to 1–3 KB. No text is drawn: the card
shows the labels and values in its table and caption, and the image carries an ``altText``.
"""

from __future__ import annotations

import base64
import itertools
import math
import struct
import zlib
from collections.abc import Sequence

WIDTH, HEIGHT = 360, 150
PAD = 8
# 0 background, 1 axis, 2 grid, then series colours (Teams-like blue, teal, orange, purple, green, red).
PALETTE = ((255, 255, 255), (96, 96, 96), (225, 225, 225), (91, 95, 199), (0, 133, 127), (230, 117, 0),
           (135, 100, 184), (44, 160, 44), (196, 49, 75))
SERIES = range(3, len(PALETTE))


class Canvas:
    def __init__(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(width * height)

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: int) -> None:
        x0, x1 = max(min(x0, x1), 0), min(max(x0, x1), self.width - 1)
        y0, y1 = max(min(y0, y1), 0), min(max(y0, y1), self.height - 1)
        row = bytes([colour]) * (x1 - x0 + 1)
        for y in range(y0, y1 + 1):
            start = y * self.width + x0
            self.pixels[start : start + len(row)] = row

    def line(self, x0: int, y0: int, x1: int, y1: int, colour: int, thickness: int = 2) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            x = round(x0 + (x1 - x0) * i / steps)
            y = round(y0 + (y1 - y0) * i / steps)
            self.rect(x, y, x + thickness - 1, y + thickness - 1, colour)

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(self.pixels[y * self.width : (y + 1) * self.width]) for y in range(self.height))
        palette = b"".join(bytes(c) for c in PALETTE)
        return b"".join((
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", self.width, self.height, 8, 3, 0, 0, 0)),
            _chunk(b"PLTE", palette),
            _chunk(b"IDAT", zlib.compress(raw, 9)),
            _chunk(b"IEND", b""),
        ))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _plot_area(canvas: Canvas) -> tuple[int, int, int, int]:
    left, top, right, bottom = PAD + 2, PAD, canvas.width - PAD, canvas.height - PAD
    for frac in (0.25, 0.5, 0.75):
        y = round(bottom - frac * (bottom - top))
        canvas.rect(left, y, right, y, 2)
    canvas.rect(left - 2, top, left - 1, bottom, 1)
    canvas.rect(left - 2, bottom, right, bottom + 1, 1)
    return left, top, right, bottom


def bar_chart(series: Sequence[Sequence[float]], y_max: float | None = None) -> bytes:
    canvas = Canvas()
    left, top, right, bottom = _plot_area(canvas)
    groups = max((len(s) for s in series), default=0)
    if groups:
        peak = y_max or max((v for s in series for v in s), default=0) or 1.0
        slot = (right - left) / groups
        width = max(int(slot * 0.7 / len(series)), 1)
        for g in range(groups):
            for k, values in enumerate(series):
                if g < len(values):
                    x0 = round(left + g * slot + slot * 0.15 + k * width)
                    height = round(min(max(values[g], 0.0) / peak, 1.0) * (bottom - top))
                    if height:
                        canvas.rect(x0, bottom - height, x0 + width - 1, bottom - 1, SERIES[k % len(SERIES)])
    return canvas.png()


def line_chart(series: Sequence[Sequence[float]], y_max: float | None = None) -> bytes:
    canvas = Canvas()
    left, top, right, bottom = _plot_area(canvas)
    peak = y_max or max((v for s in series for v in s), default=0) or 1.0
    for k, values in enumerate(series):
        points = [(round(left + (right - left) * (i / max(len(values) - 1, 1))),
                   round(bottom - min(max(v, 0.0) / peak, 1.0) * (bottom - top))) for i, v in enumerate(values)]
        colour = SERIES[k % len(SERIES)]
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            canvas.line(x0, y0, x1, y1, colour)
        for x, y in points:
            canvas.rect(x - 2, y - 2, x + 2, y + 2, colour)
    return canvas.png()


def pie_chart(values: Sequence[float]) -> bytes:
    canvas = Canvas(HEIGHT, HEIGHT)
    total = sum(v for v in values if v > 0)
    if total > 0:
        bounds, acc = [], 0.0
        for v in values:
            acc += max(v, 0.0) / total
            bounds.append(acc * 2 * math.pi)
        c = r = (HEIGHT - 1) / 2
        for y in range(HEIGHT):
            for x in range(HEIGHT):
                dx, dy = x - c, y - c
                if dx * dx + dy * dy <= (r - 1) ** 2:
                    angle = (math.atan2(dx, -dy)) % (2 * math.pi)  # clockwise from 12 o'clock
                    k = next((i for i, b in enumerate(bounds) if angle <= b), len(bounds) - 1)
                    canvas.pixels[y * HEIGHT + x] = SERIES[k % len(SERIES)]
    return canvas.png()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
