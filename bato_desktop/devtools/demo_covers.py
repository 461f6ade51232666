"""Made-up series covers for the demo library (screenshots, window tests): no Qt, no network.

:func:`demo_cover_png` draws a small poster as a PNG: a two-colour gradient sky whose hues come
from the title, a pale moon, a dark hill line and the title's initials in a blocky font, so
each series is recognisable at thumbnail size. :func:`store_demo_covers` puts them into a cover
cache under the names the engine would give the downloads of their URLs.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

from bato_desktop.engine.covers import CoverCache

# A 5 x 7 capital font: one string of five pixels per row, "#" is ink.
_GLYPHS = {
    "A": (".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "B": ("####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."),
    "C": (".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."),
    "D": ("####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."),
    "E": ("#####", "#....", "#....", "####.", "#....", "#....", "#####"),
    "F": ("#####", "#....", "#....", "####.", "#....", "#....", "#...."),
    "G": (".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"),
    "H": ("#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "I": ("#####", "..#..", "..#..", "..#..", "..#..", "..#..", "#####"),
    "J": ("..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."),
    "K": ("#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"),
    "L": ("#....", "#....", "#....", "#....", "#....", "#....", "#####"),
    "M": ("#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"),
    "N": ("#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "#...#"),
    "O": (".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "P": ("####.", "#...#", "#...#", "####.", "#....", "#....", "#...."),
    "Q": (".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"),
    "R": ("####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"),
    "S": (".####", "#....", "#....", ".###.", "....#", "....#", "####."),
    "T": ("#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."),
    "U": ("#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "V": ("#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."),
    "W": ("#...#", "#...#", "#...#", "#.#.#", "#.#.#", "##.##", "#...#"),
    "X": ("#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"),
    "Y": ("#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."),
    "Z": ("#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"),
}
_SMALL_WORDS = {"a", "an", "and", "as", "of", "on", "the", "to", "my", "s"}

RGB = tuple[float, float, float]


def initials(title: str, most: int = 2) -> str:
    """The capitals of the title's first words, small words skipped ("The Archivist" -> "A")."""
    words = ["".join(c for c in w if c.isalpha()) for w in title.replace("-", " ").split()]
    words = [w for w in words if w]
    kept = [w for w in words if w.lower() not in _SMALL_WORDS] or words
    letters = [w[0].upper() for w in kept if w[0].upper() in _GLYPHS]
    return "".join(letters[:most]) or "?"


def demo_cover_url(bato_id: str) -> str:
    return f"https://bato.to/media/covers/{bato_id}_600.png"


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return r * 255, g * 255, b * 255


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def demo_cover_png(title: str, width: int = 120, height: int = 168) -> bytes:
    """A ``width`` x ``height`` RGB PNG poster for ``title`` (the same title, the same picture)."""
    digest = hashlib.sha256(title.encode("utf-8")).digest()
    hue = digest[0] / 255
    sky_top = _hsv(hue, 0.55, 0.95)
    sky_low = _hsv(hue + 0.09 + digest[1] / 255 * 0.1, 0.8, 0.55)
    moon = _hsv(hue + 0.5, 0.18, 1.0)
    hill = _hsv(hue + 0.05, 0.7, 0.22)
    cx = width * (0.3 + digest[2] / 255 * 0.4)
    cy = height * (0.2 + digest[3] / 255 * 0.1)
    radius = width * 0.22
    phase = digest[4] / 255 * math.tau
    text = initials(title)
    scale = max(1, min(width // (6 * len(text) + 6), height // 24))
    text_w = (6 * len(text) - 1) * scale
    left, top = (width - text_w) // 2, height - 7 * scale - max(2, height // 14)
    shadow = max(1, scale // 2)

    def ink(x: int, y: int) -> bool:
        gx, gy = (x - left) // scale, (y - top) // scale
        if not (0 <= gy < 7 and 0 <= gx < 6 * len(text)) or gx % 6 == 5:
            return False
        return _GLYPHS[text[gx // 6]][gy][gx % 6] == "#" if x >= left and y >= top else False

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        sky = _mix(sky_top, sky_low, y / max(1, height - 1))
        for x in range(width):
            colour = sky
            # The moon, edge smoothed by how much of the pixel it covers.
            cover = min(1.0, max(0.0, radius - math.hypot(x + 0.5 - cx, y + 0.5 - cy) + 0.5))
            if cover:
                colour = _mix(colour, moon, 0.85 * cover)
            ridge = height * (
                0.62
                + 0.05 * math.sin(x / width * math.tau * 1.3 + phase)
                + 0.03 * math.sin(x / width * math.tau * 3.1 + 2 * phase)
            )
            below = min(1.0, max(0.0, y + 0.5 - ridge + 0.5))
            if below:
                colour = _mix(colour, hill, 0.9 * below)
            if ink(x, y):
                colour = (250.0, 248.0, 240.0)
            elif ink(x - shadow, y - shadow):
                colour = _mix(colour, (0.0, 0.0, 0.0), 0.6)
            if x in (0, width - 1) or y in (0, height - 1):
                colour = _mix(colour, (0.0, 0.0, 0.0), 0.35)  # a thin frame
            rows += bytes(min(255, max(0, round(c))) for c in colour)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def store_demo_covers(directory: Path, covers: Iterable[tuple[str, str]]) -> list[Path]:
    """Write the poster of each (cover URL, title) into the cover cache at ``directory``."""
    cache = CoverCache(directory)
    return [cache.store(url, demo_cover_png(title)) for url, title in covers]
