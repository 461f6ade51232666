"""Covers on screen: decoded off the GUI thread, turned into pixmaps on it.

The engine downloads and checks the files (:mod:`bato_desktop.engine.covers`); here the data
worker reads them with :class:`CoverDecoder` (a QImage may be made in any thread) and the
dashboard makes QPixmaps of the results (GUI thread only). Anything missing, unreadable or
oddly sized is simply absent, and the app icon stands in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QImageReader, QPixmap

from bato_desktop import paths
from bato_desktop.engine.covers import CoverCache
from bato_desktop.resources import resource_path

log = logging.getLogger(__name__)

THUMB_HEIGHT = 96  # what is decoded; the views scale down from it
MAX_SIDE = 6000  # a larger picture is refused before it is decoded


class CoverDecoder:
    """Decodes cached covers into thumbnails (any thread but one at a time), remembering
    each file's picture until the file changes."""

    def __init__(self, cache: CoverCache | None = None) -> None:
        self._cache = cache
        self._decoded: dict[Path, tuple[float, QImage | None]] = {}

    @property
    def cache(self) -> CoverCache:
        if self._cache is None:
            self._cache = CoverCache(paths.covers_dir())
        return self._cache

    def images(self, urls: Mapping[str, str | None]) -> dict[str, QImage]:
        """bato_link -> thumbnail of every series in ``urls`` whose cover is cached and good."""
        found: dict[str, QImage] = {}
        for link, url in urls.items():
            path = self.cache.path_for(url)
            image = self.decode(path) if path is not None else None
            if image is not None:
                found[link] = image
        return found

    def decode(self, path: Path) -> QImage | None:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        known = self._decoded.get(path)
        if known is not None and known[0] == mtime:
            return known[1]
        image = decode_cover(path)
        if len(self._decoded) > 5000:
            self._decoded.clear()
        self._decoded[path] = (mtime, image)
        return image


def decode_cover(path: Path, height: int = THUMB_HEIGHT) -> QImage | None:
    """A thumbnail ``height`` pixels tall, or None when the file is no usable picture."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if (
        not size.isValid()
        or size.width() > MAX_SIDE
        or size.height() > MAX_SIDE
        or size.width() < 1
        or size.height() < 1
    ):
        log.debug("Cover %s refused: size %s", path, size)
        return None
    if size.height() > height:
        reader.setScaledSize(QSize(max(1, size.width() * height // size.height()), height))
    image = reader.read()
    if image.isNull():
        log.info(
            "Cover %s could not be decoded (%s): the app icon stands in", path, reader.errorString()
        )
        return None
    return image


def app_icon_pixmap(height: int = THUMB_HEIGHT) -> QPixmap:
    """GUI thread only: the app icon, the stand-in cover."""
    for name in ("bato-desktop.png", "bato-desktop.svg"):
        try:
            icon = QIcon(str(resource_path(name)))
        except FileNotFoundError:
            continue
        if not icon.isNull():
            return icon.pixmap(height, height)
    pixmap = QPixmap(height, height)
    pixmap.fill(Qt.GlobalColor.gray)
    return pixmap


def pixmaps(images: Mapping[str, QImage]) -> dict[str, QPixmap]:
    """GUI thread only: the pixmaps of decoded covers."""
    return {link: QPixmap.fromImage(image) for link, image in images.items()}
