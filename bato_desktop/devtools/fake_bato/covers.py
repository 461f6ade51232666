"""Cover images for the fake's series: a small real PNG per series, distinct by colour.

``FakeBato.cover_mode`` switches what a cover path answers: "ok" (the PNG), "broken" (bytes
that are no image, sent as ``image/jpeg``), "html" (a page, as a site's error page would be),
"missing" (404), "429" (Too Many Requests, ``Retry-After: 60``) or "huge" (an image larger
than the client's cap).
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterable

COVER_MODES = ("ok", "broken", "html", "missing", "429", "huge")
Answer = tuple[int, dict[str, str], bytes]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def cover_png(seed: str, width: int = 40, height: int = 56, *, padding: int = 0) -> bytes:
    """A width x height RGB PNG: a two-colour band picture whose colours come from ``seed``;
    ``padding`` adds a text chunk of that many bytes (to make a big file)."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    top, bottom = digest[0:3], digest[3:6]
    rows = b"".join(
        b"\x00" + (top if y < height * 2 // 3 else bottom) * width for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    extra = _chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + extra
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def cover_answer(path: str, cover_paths: Iterable[str], mode: str) -> Answer:
    """The answer to a GET of ``path`` (one of the series' cover paths, or not)."""
    if path not in set(cover_paths) or mode == "missing":
        return 404, {"Content-Type": "text/plain"}, b"Not Found"
    if mode == "429":
        return 429, {"Content-Type": "text/plain", "Retry-After": "60"}, b"Too Many Requests"
    if mode == "broken":
        return 200, {"Content-Type": "image/jpeg"}, b"this is not a picture" * 8
    if mode == "html":
        return 200, {"Content-Type": "text/html"}, b"<html><body>Not here</body></html>"
    if mode == "huge":
        return 200, {"Content-Type": "image/png"}, cover_png(path, padding=3 * 1024 * 1024)
    return 200, {"Content-Type": "image/png", "Cache-Control": "max-age=86400"}, cover_png(path)
