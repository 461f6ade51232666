"""Semantic colours that read well on the system's light and dark palettes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette


def is_dark() -> bool:
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    window = app.palette().color(QPalette.ColorRole.Window)
    return window.lightness() < 128


def error_colour() -> QColor:
    return QColor("#ff6b6b") if is_dark() else QColor("#c62828")


def warning_colour() -> QColor:
    return QColor("#ffb74d") if is_dark() else QColor("#b26a00")


def success_colour() -> QColor:
    return QColor("#81c784") if is_dark() else QColor("#2e7d32")


def accent_colour() -> QColor:
    return QColor("#64b5f6") if is_dark() else QColor("#1565c0")


def importance_colour(importance: int) -> QColor:
    """1 new chapter, 2 batch, 3 status change or warning."""
    return {3: warning_colour(), 2: accent_colour()}.get(importance, success_colour())


def text_colour() -> QColor:
    """The palette's own text colour (for painting that does not use a widget's palette)."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return QColor("black")
    return app.palette().color(QPalette.ColorRole.WindowText)


def style_colour(colour: QColor, *, bold: bool = False) -> str:
    """A style sheet that only sets the text colour (backgrounds stay the palette's)."""
    return f"color: {colour.name()}" + ("; font-weight: bold" if bold else "")
