"""The app icon and the tray icon with the unread count painted on as a badge.

The icon is an SVG rendered at each size Qt may ask for, so it stays crisp; the badge is a red
circle (a pill for 2-3 characters) in the top-right corner with the count in white, capped at
"99+", and absent at 0. Font sizes follow RSS Guard's proportions for 1/2/3 characters.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from bato_desktop.resources import resource_path

ICON_NAME = "bato-desktop.svg"
TRAY_SIZES = (16, 22, 24, 32, 48, 64)
BADGE_COLOR = QColor(220, 38, 38)  # red
BADGE_TEXT_COLOR = QColor(255, 255, 255)

_renderer: QSvgRenderer | None = None


def _svg() -> QSvgRenderer:
    global _renderer
    if _renderer is None:
        _renderer = QSvgRenderer(str(resource_path(ICON_NAME)))
        if not _renderer.isValid():
            raise ValueError(f"the icon {resource_path(ICON_NAME)} is not a valid SVG")
    return _renderer


def badge_text(count: int) -> str:
    """What the badge says: "" at 0 (no badge), the count, or "99+"."""
    if count <= 0:
        return ""
    return "99+" if count > 99 else str(count)


def render_icon(size: int) -> QPixmap:
    """The plain app icon at ``size`` x ``size`` pixels, transparent around it."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _svg().render(painter, QRectF(0, 0, size, size))
    finally:
        painter.end()
    return pixmap


def render_badge_icon(count: int, size: int) -> QPixmap:
    """The app icon with the unread ``count`` in a red badge in the top-right corner."""
    pixmap = render_icon(size)
    text = badge_text(count)
    if not text:
        return pixmap
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        height = max(8.0, size * 0.56)
        width = height if len(text) == 1 else min(float(size), height * (1.0 + 0.35 * len(text)))
        rect = QRectF(size - width, 0, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BADGE_COLOR)
        painter.drawRoundedRect(rect, height / 2, height / 2)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(6, int(height * {1: 0.80, 2: 0.70, 3: 0.55}[len(text)])))
        painter.setFont(font)
        painter.setPen(BADGE_TEXT_COLOR)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
    finally:
        painter.end()
    return pixmap


def app_icon() -> QIcon:
    """The application icon (scalable: rendered from the SVG at any size)."""
    icon = QIcon(str(resource_path(ICON_NAME)))
    if icon.isNull():
        icon = QIcon()
        for size in TRAY_SIZES:
            icon.addPixmap(render_icon(size))
    return icon


def tray_icon(count: int) -> QIcon:
    """The tray icon with the unread badge, drawn separately at every tray size."""
    icon = QIcon()
    for size in TRAY_SIZES:
        icon.addPixmap(render_badge_icon(count, size))
    return icon
